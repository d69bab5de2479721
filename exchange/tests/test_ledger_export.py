"""Export to the shape it came in (issue 13): the archive in the county's saved ledger columns, one row
per household or per person as the county keeps it, and the round trip: import a county's ledger,
export it in its mapping, import that file again — every household unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from python_calamine import CalamineWorkbook

from conftest import make_id
from exchange import household_import, mappings, tasks
from exchange.ledger.layout import layout_name
from exchange.models import ExportJob
from exchange.services import start_export
from households.models import Household, Member

# a county's own ledger: its own words, its own order, a 序号 and a 核查人 column the archive does not keep
LEDGER_HEADER = ["序号", "户主", "公民身份号码", "所属乡镇", "所属村", "村民小组", "人口数", "对象类别", "开户行", "一卡通号",
                 "房屋结构", "建房时间", "住房面积", "联系方式", "核查人"]  # fmt: skip


def ledger(path: Path, rows: list[list[Any]], header: list[str]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["绥德县名州镇农户住房安全台账"])
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    book.save(path)
    return path


def first_import(path: Path, user: Any) -> household_import.Totals:
    """As the job flow does it: the proposal confirmed and saved as the county's shape, then the import."""
    parsed = household_import.parse_file(path, path.name, user)
    plan = parsed.sheets[0]
    mappings.save_from(user, plan, layout=layout_name(plan.mapping()))
    return household_import.run(parsed, user=user)


def export(user: Any, *, unmasked: bool) -> Path:
    job = start_export(user=user, params={}, unmasked=unmasked, reason="台账核对" if unmasked else "", kind="ledger")
    tasks.run_export.call(str(job.pk))
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.message
    return Path(job.file_path)


def import_then_export(path: Path, user: Any, layout: str) -> tuple[Path, list[list[Any]]]:
    """The county's ledger imported whole (its shape saved), then the archive exported unmasked in it."""
    totals = first_import(path, user)
    assert totals.created == 2 and not totals.rejected_rows
    saved = mappings.saved_for(user)
    assert saved is not None and saved.layout == layout
    whole = export(user, unmasked=True)
    return whole, CalamineWorkbook.from_path(str(whole)).get_sheet_by_index(0).to_python()


def reimport(path: Path, user: Any) -> household_import.Totals:
    saved = mappings.saved_for(user)
    assert saved is not None
    return household_import.run(household_import.parse_file(path, path.name, user, mapping=saved.as_mapping()), user=user)


def test_one_row_per_household_round_trip(county_user, tmp_path):
    rows = [
        [1, "郝建国", make_id(seq=1), "名州镇", "雕山村", "3组", 3, "农村低保户", "绥德县农村信用社", "6231000011112222", "砖混",
         2005, 62.5, "13912345678", "张三"],
        [2, "贺兰", make_id(seq=2), "名州镇", "五一村", "", 2, "农村分散供养特困人员、边缘户", "", "", "石窑洞", 1985, 40,
         "", "李四"],
    ]  # fmt: skip
    whole, sheet = import_then_export(ledger(tmp_path / "台账.xlsx", rows, LEDGER_HEADER), county_user, "household")
    assert sheet[1] == LEDGER_HEADER  # the county's own headers, in its order
    by_name = {r[1]: r for r in sheet[2:]}
    hao = by_name["郝建国"]
    assert hao[0] == "" and hao[-1] == ""  # 序号 and 核查人 are not in the archive: left empty
    assert hao[2] == make_id(seq=1) and hao[9] == "6231000011112222" and hao[3] == "名州镇"
    assert hao[6] == 3 and hao[11] == 2005 and hao[12] == 62.5

    events = Household.objects.values_list("id", "version")
    before = set(events)
    again = reimport(whole, county_user)
    assert again.as_dict() == {"rows": 2, "created": 0, "updated": 0, "unchanged": 2, "rejected": 0}
    assert set(Household.objects.values_list("id", "version")) == before

    masked = CalamineWorkbook.from_path(str(export(county_user, unmasked=False))).get_sheet_by_index(0).to_python()
    row = {r[1]: r for r in masked[2:]}["郝建国"]
    assert row[2] != make_id(seq=1) and "*" in row[2] and "*" in row[9] and "*" in row[13]  # masked unless unmasked


PERSON_HEADER = ["户号", "乡镇", "村", "姓名", "身份证号", "与户主关系", "家庭人口", "结构形式", "建造年份"]


def test_one_row_per_person_round_trip(county_user, tmp_path):
    rows = [
        [1, "名州镇", "雕山村", "郝建国", make_id(seq=11), "户主", 3, "砖混", 2005],
        [1, None, None, "刘秀英", make_id(seq=12), "配偶", None, None, None],
        [1, None, None, "郝小明", None, "子", None, None, None],
        [2, "名州镇", "踊跃村", "贺兰", make_id(seq=13), "户主", 1, "土木", 1980],
    ]
    whole, lines = import_then_export(ledger(tmp_path / "花名册.xlsx", rows, PERSON_HEADER), county_user, "person")
    assert lines[1] == PERSON_HEADER
    people = [(r[0], r[3], r[5]) for r in lines[2:]]
    assert sorted(people) == sorted([(1, "郝建国", "户主"), (1, "刘秀英", "配偶"), (1, "郝小明", "子"), (2, "贺兰", "户主")])
    spouse = next(r for r in lines[2:] if r[3] == "刘秀英")
    assert spouse[4] == make_id(seq=12) and spouse[2] == "雕山村委会" and spouse[6] == ""  # its household's place, not its size

    members = set(Member.objects.values_list("id", "version"))
    again = reimport(whole, county_user)
    assert again.as_dict() == {"rows": 2, "created": 0, "updated": 0, "unchanged": 2, "rejected": 0}
    assert set(Member.objects.values_list("id", "version")) == members


def test_a_county_without_a_saved_shape_is_told_so(county_user):
    with pytest.raises(ValidationError, match="本县还没有保存台账的列对应"):
        start_export(user=county_user, params={}, kind="ledger")


def test_the_shape_is_the_users_own_countys(county_user, neighbour_user, tmp_path):
    rows = [[1, "郝建国", make_id(seq=21), "名州镇", "雕山村", "", 3, "", "", "", "砖混", 2005, 62, "", ""]]
    first_import(ledger(tmp_path / "台账.xlsx", rows, LEDGER_HEADER), county_user)
    with pytest.raises(ValidationError, match="本县还没有保存台账的列对应"):  # 米脂县 has none of its own
        start_export(user=neighbour_user, params={}, kind="ledger")
