"""A county ledger the builders had not seen, in Chromium (issue 13, the attack round): a WPS CSV in
GBK with three header rows, a village found by the county's alias and an ID number Excel may have cut;
the preview names both judgements before the official confirms, and the error file downloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from conftest import make_id
from exchange.tests.test_attack_ledgers import CUT_BUT_VALID
from exchange.tests.test_villages_import import LONGWAN_C
from households.models import Household
from regions.models import AliasKind, RegionAlias
from tests.browser.conftest import shot
from tests.browser.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wps_csv(path: Path) -> Path:
    rows = [
        ["绥德县名州镇农村住房安全台账（2023年）", "", "", "", "", ""],
        ["序号", "村", "户主", "", "家庭人口", "备注"],
        ["", "", "姓名", "身份证\n号码", "（人）", ""],
        ["1", "老龙湾", "郝建国", make_id(seq=1), "3", ""],
        ["2", "雕山村", "贺兰", CUT_BUT_VALID, "2", ""],
        ["3", "雕山村", "白彩云", "6.10826E+17", "2", "Excel 改过的号码"],
        ["制表人：张三", "", "", "", "", ""],
    ]
    text = "\r\n".join(",".join(f'"{c}"' if "\n" in c else c for c in r) for r in rows) + "\r\n"
    path.write_bytes(text.encode("gbk"))
    return path


def test_the_preview_names_its_judgements_and_the_error_file_downloads(page: Any, county_user: Any, tmp_path: Path) -> None:
    RegionAlias.objects.create(county="610826", alias="老龙湾", target_id=LONGWAN_C, kind=AliasKind.COUNTY)
    log_in(page)
    page.goto("/exchange/imports/")
    page.set_input_files("#import-file", str(wps_csv(tmp_path / "名州镇台账.csv")))
    page.click("#upload-btn")
    page.wait_for_selector("#mapping-table")
    shot(page, "attack-mapping")
    page.click("#mapping-confirm-btn")
    page.wait_for_selector("#confirm-btn")
    notes = page.inner_text("#note-sample")
    assert "按本县别名对应到" in notes and "末三位为 000" in notes
    assert page.inner_text("#rejected-count") == "1"
    shot(page, "attack-preview")
    with page.expect_download() as download_info:
        page.click("#errors-link")
    errors = CalamineWorkbook.from_path(str(download_info.value.path())).get_sheet_by_index(0).to_python()
    assert any("白彩云" in str(line) and "Excel" in str(line[-1]) for line in errors)
    page.click("#confirm-btn")
    page.wait_for_selector("#import-done")
    assert Household.objects.get(head_name="郝建国").region_code == LONGWAN_C
