"""The county's ledger back in its own shape, from the household list: refused in Chinese while the
county has no saved shape, then exported in its columns (issue 13)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from conftest import make_id
from exchange import household_import, mappings
from tests.browser.conftest import shot
from tests.browser.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = ["序号", "户主", "公民身份号码", "所属乡镇", "所属村", "人口数", "核查人"]


def test_ledger_export_from_the_household_list(page, county_user, tmp_path):
    log_in(page)
    page.goto("/households/")
    page.click("#export-ledger-btn")
    page.wait_for_selector(".alert")
    assert "本县还没有保存台账的列对应" in page.inner_text("body")
    shot(page, "ledger-export-refused")

    book = openpyxl.Workbook()
    book.active.append(["名州镇台账"])
    book.active.append(HEADER)
    book.active.append([1, "郝建国", make_id(seq=1), "名州镇", "雕山村", 3, "张三"])
    book.save(tmp_path / "台账.xlsx")
    parsed = household_import.parse_file(tmp_path / "台账.xlsx", "台账.xlsx", county_user)
    mappings.save_from(county_user, parsed.sheets[0])
    assert household_import.run(parsed, user=county_user).created == 1

    page.goto("/households/")
    shot(page, "household-list-ledger-export")
    page.click("#export-ledger-btn")
    page.wait_for_selector("#download-link")
    shot(page, "ledger-export-done")
    with page.expect_download() as download_info:
        page.click("#download-link")
    saved = Path(tmp_path / "ledger.xlsx")
    download_info.value.save_as(saved)
    rows = CalamineWorkbook.from_path(str(saved)).get_sheet_by_index(0).to_python()
    assert rows[1] == HEADER and rows[2][1] == "郝建国" and "*" in rows[2][2]  # masked
