"""Issue 13's findings, as one town's ledger would bring them: each row's outcome is written down
before the import runs, then the import is held to it.

The ledger is 名州镇's, in the shape town clerks keep: a title and a 填报单位 line, a header of two rows
(乡镇, 村 and 家庭人口 merged down over both, 户主信息 and 房屋信息 merged across their sub-headers, units
in brackets), the village merged down over the households of one village, 开户行 / 一卡通号 /
建筑面积（平方米） columns, build dates as clerks write them, and a footer line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from conftest import make_id
from exchange import household_import
from households.models import Household

LONGWAN_COMMUNITY = "610826100011"  # 龙湾社区居委会
LONGWAN_VILLAGE = "610826100204"  # 龙湾村委会
WUYI_VILLAGE = "610826100200"  # 五一村委会

TOP = ["序号", "乡镇", "村", "组", "户主信息", None, "家庭人口（人）", "联系电话", "开户行", "一卡通号", "房屋信息", None, None,
       "备注"]  # fmt: skip
SUB = [None, None, None, None, "姓名", "身份证号", None, None, None, None, "结构", "建筑面积（平方米）", "建造时间", None]
ACCOUNT = "6228480402564890018"
EXCEL_DAMAGED = "610826197506010000"  # the last digits Excel replaced with zeros


def person(seq: int, name: str, village: str | None, **over: Any) -> list[Any]:
    values: dict[str, Any] = {
        "序号": seq, "乡镇": "名州镇", "村": village, "组": "2组", "姓名": name, "身份证号": make_id(seq=seq),
        "家庭人口（人）": 3, "联系电话": "13912345678", "开户行": "绥德县农村信用合作联社", "一卡通号": ACCOUNT,
        "结构": "砖混结构", "建筑面积（平方米）": 86.5, "建造时间": "2005年", "备注": "",
    }  # fmt: skip
    values.update(over)
    keys = ["序号", "乡镇", "村", "组", "姓名", "身份证号", "家庭人口（人）", "联系电话", "开户行", "一卡通号", "结构",
            "建筑面积（平方米）", "建造时间", "备注"]  # fmt: skip
    return [values[k] for k in keys]


# line in the sheet -> (the row, the outcome: a village code it is filed under, or "rejected: <words the
# reason must contain>", or "skipped")
EXPECTED: dict[int, tuple[list[Any], str]] = {
    5: (person(1, "郝建国", "龙湾社区居委会"), LONGWAN_COMMUNITY),  # never the same-named 龙湾村委会
    6: (person(2, "郝建民", None), LONGWAN_COMMUNITY),  # under the village merged down from line 5
    7: (person(3, "李秀英", "龙湾村委会"), LONGWAN_VILLAGE),
    8: (person(4, "张海", "龙湾社区", **{"建造时间": 2021.5}), LONGWAN_COMMUNITY),  # X社区 reaches the 社区
    9: (person(5, "王芳", "名州镇五一村", **{"乡镇": None, "建造时间": "2021年5月"}), WUYI_VILLAGE),
    10: (person(6, "刘强", "五一村", **{"建造时间": "2021/5/3"}), WUYI_VILLAGE),
    11: (person(7, "赵刚", "龙湾"), "rejected: 龙湾社区居委会 龙湾村委会"),  # both candidates named
    12: (person(8, "孙丽", "五一村", **{"身份证号": EXCEL_DAMAGED}), "rejected: Excel"),
    13: (["制表人：张三", None, None, "审核人：李四", None, None, None, "填报日期：2026年11月30日"] + [None] * 6, "skipped"),
}


def write_ledger(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "名州镇"
    sheet.append(["绥德县名州镇农村低收入群体住房安全台账"] + [None] * 13)
    sheet.merge_cells("A1:N1")
    sheet.append(["填报单位：名州镇人民政府（盖章）"] + [None] * 13)
    sheet.append(TOP)
    sheet.append(SUB)
    for column in "ABCDGHIJN":  # merged down over both header rows
        sheet.merge_cells(f"{column}3:{column}4")
    sheet.merge_cells("E3:F3")
    sheet.merge_cells("K3:M3")
    for line in sorted(EXPECTED):
        sheet.append(EXPECTED[line][0])
    sheet.merge_cells("C5:C6")  # 龙湾社区居委会 over its two households
    book.save(path)
    return path


@pytest.fixture
def imported(county_user: Any, tmp_path: Path) -> tuple[Any, Any]:
    parsed = household_import.parse_file(write_ledger(tmp_path / "名州镇台账.xlsx"), "名州镇台账.xlsx", county_user)
    totals = household_import.run(parsed, user=county_user)
    return parsed, totals


def test_every_row_has_the_outcome_written_before_the_import(imported: tuple[Any, Any]) -> None:
    parsed, totals = imported
    rejected = {r.line: "；".join(r.errors) for r in totals.rejected_rows}
    skipped = {s.line for s in parsed.skipped}
    for line, (cells, outcome) in EXPECTED.items():
        if outcome == "skipped":
            assert line in skipped and line not in rejected, line
        elif outcome.startswith("rejected"):
            for word in outcome.split(":", 1)[1].split():
                assert word in rejected.get(line, ""), (line, rejected.get(line))
        else:
            household = Household.objects.get(head_name=cells[4])
            assert household.region_code == outcome, (line, household.region_code)
    assert totals.created == sum(1 for _, o in EXPECTED.values() if o.isdigit())


def test_the_columns_a_clerk_keeps_reach_the_archive(imported: tuple[Any, Any]) -> None:
    household = Household.objects.get(head_name="郝建国")
    assert household.bank_name == "绥德县农村信用合作联社"
    assert household.bank_account == ACCOUNT
    assert household.family_size == 3
    house = household.houses.get(is_dwelling=True)
    assert house.floor_area == 86.5 and house.structure_type == "brick_concrete" and house.year_built == 2005
    assert Household.objects.get(head_name="张海").houses.get().year_built == 2021


def test_a_damaged_id_gets_no_check_digit_hint(imported: tuple[Any, Any]) -> None:
    _, totals = imported
    reason = next("；".join(r.errors) for r in totals.rejected_rows if r.line == 12)
    assert "应为" not in reason and "身份证" in reason


def test_nothing_in_the_file_is_dropped_unsaid(imported: tuple[Any, Any]) -> None:
    parsed, _ = imported
    (plan,) = parsed.sheets
    assert {c.header for c in plan.unmapped} <= {"序号"}  # 序号 aside, every column has its field
    fields = {c.field for c in plan.columns}
    assert {"bank_name", "bank_account", "floor_area", "family_size", "town", "village"} <= fields


def test_the_preview_says_what_it_skipped_and_which_villages_it_found_by_alias(
    county_user: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    """Every judgement made is visible before anything is written: the footer is listed as skipped, and
    a village found through the county's alias is listed with its note."""
    from django.test import Client
    from django.urls import reverse

    from accounts.roles import Role
    from conftest import make_user
    from exchange.services import create_import_job
    from regions.aliases import AliasInput, save_alias

    admin = make_user("sd_admin", "610826", Role.ADMIN)
    save_alias(actor=admin, data=AliasInput(county="610826", alias="老龙湾", target=LONGWAN_VILLAGE, note="群众习惯叫法"))
    EXPECTED[14] = (person(9, "周平", "老龙湾"), LONGWAN_VILLAGE)
    try:
        path = write_ledger(tmp_path / "名州镇台账.xlsx")
    finally:
        del EXPECTED[14]
    with django_capture_on_commit_callbacks(execute=True):
        job = create_import_job(user=county_user, path=path, original_name=path.name, mapping={})
    job.refresh_from_db()
    assert job.status == "validated" and job.planned_create == 7
    assert "13" in [line for line, _reason in job.report["skipped_sample"]]
    assert job.noted["count"] == 1 and job.noted["sample"][0][0] == "14"
    assert "老龙湾" in job.noted["sample"][0][1]
    client = Client()
    client.force_login(county_user)
    html = client.get(reverse("exchange:import_detail", args=[job.pk])).content.decode()
    assert 'id="import-skipped"' in html and "老龙湾" in html
