"""Ledgers the builders of issue 13 had not seen, made here the way town clerks make them in Excel and
WPS, and what a dishonest user or a careless one would try: each test was written failing first, then
the fix, so that nothing is guessed silently and no household is filed under someone else."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from conftest import make_id
from exchange import household_import
from exchange.mappings import read_proposal
from exchange.models import ImportJob
from exchange.readers import UnreadableFile
from exchange.tests.test_ledger_layouts import build, check, outcome_table
from exchange.tests.test_mapping_step import uploaded
from households.models import Household

# -- a member's 姓名 under 家庭成员 is never read as the head's --------------------------------------

# The head's ID column is written in words the catalogue does not know (户主身份号码), and the
# members' columns sit under a parent 家庭成员 written over the first of them only (a CSV from WPS).
# Read without its parent, the second header row alone names 姓名 and 身份证号: the members would be
# filed as heads of households, and the real header row taken for the file's title.
MEMBER_TOP = ["序号", "乡镇", "村", "户主姓名", "户主身份号码", "家庭成员", None, "家庭人口"]
MEMBER_SUB = [None, None, None, None, None, "姓名", "身份证号", None]


def member_rows() -> list[list[Any]]:
    return [
        MEMBER_TOP,
        MEMBER_SUB,
        [1, "名州镇", "雕山村", "郝建国", make_id(seq=1), "刘秀英", make_id(seq=2), 2],
        [2, "名州镇", "雕山村", "贺兰", make_id(seq=3), "贺军", make_id(seq=4), 2],
    ]


def _csv(path: Path, rows: list[list[Any]], encoding: str) -> Path:
    text = "\r\n".join(",".join("" if c is None else str(c) for c in r) for r in rows) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_members_under_a_parent_are_not_taken_for_heads_from_a_csv(county_user, tmp_path, encoding):
    path = _csv(tmp_path / "成员.csv", member_rows(), encoding)
    with pytest.raises(UnreadableFile, match="没有找到表头"):
        household_import.parse_file(path, path.name, county_user)
    with pytest.raises(UnreadableFile, match="没有找到表头"):
        read_proposal(path, path.name, county_user)  # the page's mapping step reads the same header
    assert not Household.objects.exists()


def test_members_under_a_merged_parent_are_not_taken_for_heads_from_a_workbook(
    county_user, tmp_path, django_capture_on_commit_callbacks
):
    merged = ["A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:E2", "F1:G1", "H1:H2"]
    path = build(tmp_path / "成员.xlsx", {"雕山村": member_rows()}, {"雕山村": merged})
    job = uploaded(county_user, path, django_capture_on_commit_callbacks)  # the page's upload, run by the worker
    assert job.status == ImportJob.Status.FAILED and "没有找到表头" in job.message
    err = StringIO()
    with pytest.raises(Exception, match="没有找到表头"):
        call_command("import_households", str(path), "--user", "sd_county", stdout=StringIO(), stderr=err)
    assert not Household.objects.exists()


def test_a_per_person_ledger_under_a_members_parent_still_reads(county_user, tmp_path):
    """One row per person under 家庭成员 (with 与户主关系): each line's 姓名 is its own person's."""
    rows = [
        ["乡镇", "村", "家庭成员", None, None],
        [None, None, "姓名", "身份证号", "与户主关系"],
        ["名州镇", "雕山村", "郝建国", make_id(seq=11), "户主"],
        ["名州镇", "雕山村", "刘秀英", make_id(seq=12), "配偶"],
    ]
    path = _csv(tmp_path / "花名册.csv", rows, "gbk")
    table, _parsed, _totals = outcome_table(path, county_user)
    check(table, {"3": ("created", ""), "4": ("created", "")})
    assert Household.objects.get().head_name == "郝建国"


# -- one row per person, no 户编号: the head's line must come first --------------------------------


def test_a_per_person_ledger_whose_head_comes_last_files_no_one_with_the_wrong_household(county_user, tmp_path):
    """Without a 户编号, lines are grouped from each 户主 line down. A clerk who puts the head last
    (members, then 户主) would give every household the next one's members: the sheet is refused."""
    header = ["村", "乡镇", "姓名", "身份证号", "与户主关系"]
    rows = [
        header,  # 1
        ["雕山村", "名州镇", "刘秀英", make_id(seq=61), "配偶"],  # 2
        ["雕山村", "名州镇", "郝小明", make_id(seq=62), "子"],  # 3
        ["雕山村", "名州镇", "郝建国", make_id(seq=63), "户主"],  # 4
        ["雕山村", "名州镇", "贺军", make_id(seq=64), "子"],  # 5 贺兰's son, would be filed under 郝建国
        ["雕山村", "名州镇", "贺兰", make_id(seq=65), "户主"],  # 6
    ]
    path = build(tmp_path / "成员.xlsx", {"Sheet1": rows})
    table, _parsed, _totals = outcome_table(path, county_user)
    why = "户主行不在每户的第一行"
    check(table, {str(n): ("rejected", why) for n in range(2, 7)})
    assert not Household.objects.exists()


def test_a_per_person_ledger_in_head_first_order_still_groups(county_user, tmp_path):
    header = ["村", "乡镇", "姓名", "身份证号", "与户主关系"]
    rows = [
        header,
        ["雕山村", "名州镇", "郝建国", make_id(seq=71), "户主"],
        ["雕山村", "名州镇", "刘秀英", make_id(seq=72), "配偶"],
        ["雕山村", "名州镇", "贺兰", make_id(seq=73), "户主"],
    ]
    path = build(tmp_path / "成员.xlsx", {"Sheet1": rows})
    table, _parsed, _totals = outcome_table(path, county_user)
    check(table, {"2": ("created", ""), "3": ("created", ""), "4": ("created", "")})


# -- the judgements the check made are shown on the preview, before anything is written -----------


def test_the_preview_names_each_village_found_by_alias_or_by_the_files_title(
    county_user, tmp_path, django_capture_on_commit_callbacks
):
    """A row filed by a county alias, or under the town the file's title names, is a judgement: the
    preview lists it with its line before the official confirms (ADR 0029: mapped with a note)."""
    from django.test import Client
    from django.urls import reverse

    from exchange import services
    from exchange.tests.test_mapping_step import choices_of
    from exchange.tests.test_villages_import import LONGWAN_C, ledger
    from regions.models import AliasKind, RegionAlias

    RegionAlias.objects.create(county="610826", alias="老龙湾", target_id=LONGWAN_C, kind=AliasKind.COUNTY)
    rows = [["", "王家山村", "庚七", make_id(seq=407), 2], ["定仙墕镇", "老龙湾", "壬九", make_id(seq=409), 4]]
    rows[1][0] = "名州镇"
    path = ledger(tmp_path / "台账.xlsx", rows, title="绥德县定仙墕镇2023年危房台账")
    job = uploaded(county_user, path, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_mapping(user=county_user, job=job, choices=choices_of(job))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED and job.valid_rows == 2
    client = Client()
    client.force_login(county_user)
    page = client.get(reverse("exchange:import_detail", args=[job.pk])).content.decode()
    table = page.split('id="note-sample"')[1].split("</table>")[0]
    assert "<td>3</td>" in table and "定仙墕镇" in table  # the town the title names
    assert "<td>4</td>" in table and "“老龙湾”按本县别名对应到" in table
    assert not Household.objects.exists()


# -- an ID number Excel cut to ...000 whose check happens to fit ------------------------------------

# Excel keeps 15 digits: 610826197506015123 becomes 610826197506015000, and one in eleven such numbers
# has a check character that fits (here 0). In a CSV saved from Excel it arrives as text. It may be a
# real number (a sequence ending 00 and a check of 0), so it is not refused: the preview says it.
CUT_BUT_VALID = "610826197506015000"


def test_an_id_number_ending_in_000_whose_check_fits_is_named_on_the_preview(county_user, tmp_path):
    rows = [["乡镇", "村", "户主姓名", "户主身份证号", "家庭人口"], ["名州镇", "雕山村", "郝建国", CUT_BUT_VALID, 3]]
    path = _csv(tmp_path / "台账.csv", rows, "gbk")
    parsed = household_import.parse_file(path, path.name, county_user)
    (row,) = list(parsed.rows)
    assert row.data is not None and row.data.head_id.value == CUT_BUT_VALID  # kept as written
    assert any("000" in note and "Excel" in note for note in row.notes), row.notes


# -- rows and columns hidden in Excel ---------------------------------------------------------------


def test_hidden_rows_and_columns_are_named_at_the_mapping_step(county_user, tmp_path):
    """A clerk hides the households that moved away, or an old ID column beside the new one: Excel
    shows none of them, the file holds them all. The mapping step says so before anything is read."""
    import openpyxl

    from exchange.mappings import warnings_for

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "名州镇"
    sheet.append(["乡镇", "村", "户主姓名", "户主身份证号", "家庭人口", "旧身份证号"])
    for n in range(1, 5):
        sheet.append(["名州镇", "雕山村", f"户主{n}", make_id(seq=80 + n), 3, ""])
    sheet.row_dimensions[3].hidden = True
    sheet.row_dimensions[5].hidden = True
    sheet.column_dimensions["F"].hidden = True
    path = tmp_path / "台账.xlsx"
    book.save(path)
    proposal = read_proposal(path, path.name, county_user)
    notes = "\n".join(warnings_for(proposal, None))
    assert "名州镇 第 3、5 行在 Excel 中被隐藏（共 2 行），仍会导入" in notes, notes
    assert "“旧身份证号”（F 列）在 Excel 中被隐藏" in notes, notes


def test_the_command_says_the_same_judgements_and_hidden_rows(county_user, tmp_path):
    import openpyxl

    from exchange.tests.test_villages_import import LONGWAN_C
    from regions.models import AliasKind, RegionAlias

    RegionAlias.objects.create(county="610826", alias="老龙湾", target_id=LONGWAN_C, kind=AliasKind.COUNTY)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["乡镇", "村", "户主姓名", "户主身份证号", "家庭人口"])
    sheet.append(["名州镇", "老龙湾", "壬九", make_id(seq=91), 4])
    sheet.append(["名州镇", "雕山村", "郝建国", CUT_BUT_VALID, 3])
    sheet.row_dimensions[3].hidden = True
    path = tmp_path / "台账.xlsx"
    book.save(path)
    err = StringIO()
    call_command("import_households", str(path), "--user", "sd_county", "--dry-run", stdout=StringIO(), stderr=err)
    said = err.getvalue()
    assert "第 2 行：“老龙湾”按本县别名对应到" in said and "第 3 行：身份证号末三位为 000" in said, said
    assert "第 3 行在 Excel 中被隐藏" in said, said


# -- a forged mapping form ----------------------------------------------------------------------------


@pytest.mark.parametrize("alias", ["col_01", "col_１", "col_+1", "col_ 1"])
def test_a_mapping_form_naming_one_column_twice_is_refused(alias, county_user, tmp_path, django_capture_on_commit_callbacks):
    """col_1 and col_01 (or a full-width １) are one column: a form giving it two fields is forged."""
    from django.core.exceptions import ValidationError

    from exchange import services
    from exchange.tests.test_mapping_step import choices_of, ledger

    job = uploaded(county_user, ledger(tmp_path / "a.xlsx", [make_id(seq=95)]), django_capture_on_commit_callbacks)
    choices = choices_of(job) | {alias: "note"}
    with pytest.raises(ValidationError, match="不存在"):
        services.confirm_mapping(user=county_user, job=job, choices=choices)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.MAPPING and job.mapping is None


# -- units written without brackets -------------------------------------------------------------------


@pytest.mark.parametrize("header", ["建筑面积 m²", "建筑面积㎡", "建筑面积M2", "建筑面积<平方米>", "建筑面积 平方米"])
def test_an_area_with_its_unit_written_without_brackets_is_the_floor_area(header):
    from exchange.ledger.headers import catalogue_field

    assert catalogue_field(header) == "floor_area"


@pytest.mark.parametrize("header", ["联系人", "负责人", "家庭人口", "宅基地面积"])
def test_a_header_ending_in_a_unit_word_is_not_cut(header):
    from exchange.ledger.headers import catalogue_field

    assert catalogue_field(header) != "floor_area"


# -- the error file of a CSV re-imports after correction ---------------------------------------------


def test_the_error_file_of_a_gbk_csv_with_a_split_header_reimports_after_correction(county_user, tmp_path):
    rows = [
        ["绥德县名州镇农村住房安全台账", "", "", "", ""],
        ["乡镇", "村", "户主", "", "家庭人口"],
        ["", "", "姓名", "身份证号码", "(人)"],
        ["名州镇", "雕山村", "郝建国", make_id(seq=97), "3"],
        ["名州镇", "雕山村", "贺兰", "6.10826E+17", "2"],
    ]
    path = _csv(tmp_path / "台账.csv", rows, "gbk")
    table, parsed, totals = outcome_table(path, county_user)
    assert table["5"][0] == "rejected" and "Excel" in table["5"][1]
    errors = tmp_path / "errors.xlsx"
    household_import.write_errors(errors, parsed, totals.rejected_rows)
    import openpyxl

    book = openpyxl.load_workbook(errors)
    sheet = book.worksheets[0]
    line = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 3).value == "贺兰")
    sheet.cell(line, 4).value = make_id(seq=98)  # typed again from the card, as text
    book.save(errors)
    table, _parsed, _totals = outcome_table(errors, county_user)
    assert {label: o for label, o in table.items() if o[0] != "skipped"} == {str(line): ("created", "")}
    assert Household.objects.get(head_name="贺兰").head_id == make_id(seq=98)
