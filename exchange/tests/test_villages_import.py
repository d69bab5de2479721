"""Issue 13, finding 1: the import files each household under the village its row means, never a
same-named neighbour (龙湾社区居委会 / 龙湾村委会 in 名州镇), and refuses what it cannot tell apart."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from conftest import make_id
from exchange import household_import
from households.models import Household
from regions.models import AliasKind, RegionAlias

LONGWAN_SQ = "610826100011"  # 龙湾社区居委会
LONGWAN_C = "610826100204"  # 龙湾村委会
HEADER = ["乡镇", "村", "户主姓名", "户主身份证号", "家庭人口"]


def ledger(path: Path, rows: list[list[object]], title: str = "绥德县名州镇农户住房台账", header: list[str] = HEADER) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([title])
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    book.save(path)
    return path


def run(path: Path, user, *, dry_run: bool = False):
    parsed = household_import.parse_file(path, path.name, user)
    rows = list(parsed.rows)
    totals = household_import.run(household_import.ParsedFile(parsed.header, iter(rows)), user=user, dry_run=dry_run)
    return {r.line: r for r in rows}, totals


def test_community_and_village_of_one_name_each_get_their_own(county_user, tmp_path):
    # expected outcome per line, written before the import runs
    expected = {
        3: LONGWAN_SQ,  # the official name of the 社区
        4: LONGWAN_C,  # the official name of the 村
        5: LONGWAN_SQ,  # “龙湾社区”: found (it was 找不到 before)
        6: LONGWAN_C,  # “龙湾村”: the 村, never the 社区
        7: None,  # bare “龙湾”: refused, both named
        8: LONGWAN_SQ,  # the town written in front
    }
    path = ledger(
        tmp_path / "名州镇.xlsx",
        [
            ["名州镇", "龙湾社区居委会", "甲一", make_id(seq=401), 3],
            ["名州镇", "龙湾村委会", "乙二", make_id(seq=402), 3],
            ["名州镇", "龙湾社区", "丙三", make_id(seq=403), 3],
            ["名州", "龙湾村", "丁四", make_id(seq=404), 3],
            ["名州镇", "龙湾", "戊五", make_id(seq=405), 3],
            ["", "名州镇龙湾社区", "己六", make_id(seq=406), 3],
        ],
    )
    rows, totals = run(path, county_user)
    assert totals.created == 5 and totals.rejected == 1
    for line, village in expected.items():
        if village is None:
            (message,) = rows[line].errors
            assert LONGWAN_SQ in message and LONGWAN_C in message and "龙湾社区居委会" in message and "龙湾村委会" in message
            continue
        assert rows[line].errors == [], rows[line].errors
        head = rows[line].cells[2]
        assert Household.objects.get(head_name=head).region_code == village, head


def test_title_names_the_town_for_rows_without_one(county_user, tmp_path):
    # 王家山村 is in 名州镇 and in 定仙墕镇: the file's title says which
    path = ledger(tmp_path / "台账.xlsx", [["", "王家山村", "庚七", make_id(seq=407), 2]], title="绥德县定仙墕镇2023年危房台账")
    rows, totals = run(path, county_user)
    assert totals.created == 1
    assert Household.objects.get(head_name="庚七").region_code == "610826103238"
    assert any("定仙墕镇" in note for note in rows[3].notes)
    # without a title that names one town, the same row is refused naming both
    other = ledger(tmp_path / "汇总.xlsx", [["", "王家山村", "辛八", make_id(seq=408), 2]], title="绥德县汇总")
    rows, totals = run(other, county_user)
    assert totals.rejected == 1 and "610826100209" in rows[3].errors[0] and "610826103238" in rows[3].errors[0]


def test_an_alias_is_applied_with_a_note_in_the_preview(county_user, tmp_path):
    RegionAlias.objects.create(county="610826", alias="老龙湾", target_id=LONGWAN_C, kind=AliasKind.COUNTY)
    path = ledger(tmp_path / "名州镇.xlsx", [["名州镇", "老龙湾", "壬九", make_id(seq=409), 4]])
    rows, totals = run(path, county_user, dry_run=True)
    assert totals.created == 1 and not Household.objects.exists()
    assert rows[3].data is not None and rows[3].data.village_code == LONGWAN_C
    assert rows[3].notes and "本县别名" in rows[3].notes[0]


def test_a_neighbour_county_village_is_never_reached(county_user, tmp_path):
    header = ["村区划代码", "乡镇", "村", "户主姓名", "户主身份证号", "家庭人口"]
    rows = [
        [610827001245.0, "", "", "癸十", make_id(seq=410), 2],  # 米脂县, as Excel keeps a number
        [float(LONGWAN_C), "名州镇", "龙湾社区", "子一", make_id(seq=411), 2],  # the code and the name disagree
        [float(LONGWAN_C), "名州镇", "龙湾村", "丑二", make_id(seq=412), 2],
    ]
    parsed, totals = run(ledger(tmp_path / "x.xlsx", rows, header=header), county_user)
    assert totals.rejected == 2 and totals.created == 1
    assert "610827001245" in parsed[3].errors[0] and "龙湾村委会" in parsed[4].errors[0]
    assert Household.objects.get().region_code == LONGWAN_C
