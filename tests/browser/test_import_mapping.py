"""The mapping step in Chromium (issue 13): a town's ledger with two header rows, cells merged and
units in brackets; the official sees every column proposed, corrects one, sees the columns left out
named, imports, and downloads the error file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from conftest import make_id
from households.models import Household
from tests.browser.conftest import shot
from tests.browser.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def town_ledger(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["绥德县名州镇农村住房安全保障台账"])
    sheet.merge_cells("A1:K1")
    sheet.append(["序号", "乡镇", "村", "户主信息", None, "家庭人口（人）", "房屋信息", None, "一卡通信息", None, "情况说明"])
    sheet.append([None, None, None, "姓名", "身份证号", None, "结构形式", "建筑面积（平方米）", "开户行", "一卡通号", None])
    for cells in ("A2:A3", "B2:B3", "C2:C3", "D2:E2", "F2:F3", "G2:H2", "I2:J2", "K2:K3"):
        sheet.merge_cells(cells)
    sheet.append(
        [1, "名州镇", "雕山村", "郝建国", make_id(seq=1), 3, "砖混", 82.5, "陕西信合", "6230000011112222101", "屋顶漏雨"]
    )
    sheet.append([2, "名州镇", "雕山村", "贺兰", make_id(seq=2), "三", "砖木", 60, "陕西信合", "6230000011112222102", ""])
    sheet.append(
        [3, "名州镇", "雕山村", "白彩云", make_id(seq=3), 2, "土木", "45平方米", "邮储银行", "6230000011112222103", "独居"]
    )
    sheet.append(["制表人：张三", None, None, "审核人：李四", None, None, "填报日期：2026年11月30日"])
    book.save(path)
    return path


def test_a_ledger_with_two_header_rows_is_mapped_corrected_and_imported(page: Any, county_user: Any, tmp_path: Path) -> None:
    log_in(page)
    page.goto("/exchange/imports/")
    page.set_input_files("#import-file", str(town_ledger(tmp_path / "名州镇台账.xlsx")))
    page.click("#upload-btn")
    page.wait_for_selector("#mapping-table")
    table = page.inner_text("#mapping-table")
    for header in (
        "户主信息/姓名",
        "户主信息/身份证号",
        "家庭人口（人）",
        "房屋信息/建筑面积（平方米）",
        "一卡通信息/开户行",
        "一卡通信息/一卡通号",
    ):
        assert header in table
    assert make_id(seq=1) not in table and "6108**" in table  # ID numbers shown masked
    selected = {
        page.get_attribute(f"#col_{n}", "aria-label"): page.eval_on_selector(f"#col_{n}", "e => e.value") for n in range(11)
    }
    assert selected["家庭人口（人）"] == "family_size" and selected["一卡通信息/一卡通号"] == "bank_account"
    assert selected["情况说明"] == ""
    assert "以下列不导入：序号、情况说明" in page.inner_text("#mapping-warnings")
    shot(page, "import-mapping")
    page.select_option("#col_10", "note")  # 情况说明 -> 备注
    page.click("#mapping-confirm-btn")
    page.wait_for_selector("#confirm-btn")
    assert page.inner_text("#rejected-count") == "1"  # 三 is no number
    assert "序号" in page.inner_text("#import-unmapped") and "情况说明" not in page.inner_text("#import-unmapped")
    page.click("#import-skipped summary")  # the footer is said to be skipped, not reported as a bad row
    skipped = page.inner_text("#import-skipped")
    assert "已跳过 2 行" in skipped and "标题行" in skipped and "7\t表尾（制表人：张三）" in skipped
    shot(page, "import-mapped-preview")
    with page.expect_download() as download_info:
        page.click("#errors-link")
    errors = CalamineWorkbook.from_path(str(download_info.value.path())).get_sheet_by_index(0).to_python()
    assert any("贺兰" in str(line) and "家庭人口" in str(line[-1]) for line in errors)
    page.click("#confirm-btn")
    page.wait_for_selector("#import-done")
    assert page.inner_text("#created-count") == "2"
    assert "序号" in page.inner_text("#import-unmapped")
    household = Household.objects.get(head_name="白彩云")
    assert household.note == "独居" and household.bank_name == "邮储银行" and household.houses.get().floor_area == 45
