"""The archive driven through Debian's Chromium, as an official would use it."""

from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from conftest import PASSWORD, SUIDE_VILLAGE, add_household, make_id
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username="sd_county", password=PASSWORD):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def test_login_and_lockout(page, county_user):
    for _ in range(4):
        log_in(page, password="wrong-password")
        assert "用户名或密码错误" in page.inner_text("#login-error")
    log_in(page, password="wrong-password")
    assert "已锁定 30 分钟" in page.inner_text("#login-error")
    shot(page, "lockout")
    log_in(page)
    assert "账号已被锁定" in page.inner_text("#login-error")


def test_login_shows_home_dashboard(page, county_user):
    add_household(county_user)
    log_in(page)
    page.wait_for_selector("#stat-households")
    assert page.inner_text("#stat-households") == "1"
    page.wait_for_selector("#chart-structures canvas")
    shot(page, "home")


def test_household_search_by_name_and_id(page, county_user):
    add_household(county_user)
    add_household(county_user, head_id=make_id(seq=222), name="贺兰")
    log_in(page)
    page.goto("/households/")
    page.fill("#id_q", "贺")
    page.click("#filter-btn")
    rows = page.inner_text("#household-table tbody")
    assert "贺兰" in rows and "郝建国" not in rows
    page.fill("#id-search", make_id())
    page.click("#id-search-form button")
    rows = page.inner_text("#household-table tbody")
    assert "郝建国" in rows and "贺兰" not in rows
    assert make_id() not in page.url
    shot(page, "search")


def test_create_household_with_bad_id_shows_error_in_chinese(page, county_user):
    log_in(page)
    page.goto("/households/new/")
    page.select_option("#id_village", SUIDE_VILLAGE)
    page.fill("#id_head_name", "白彩云")
    good = make_id(seq=88)
    page.fill("#id_head_id", good[:-1] + ("1" if good[-1] != "1" else "2"))
    page.fill("#id_family_size", "2")
    page.click("#household-form button[type=submit]")
    error = page.inner_text(".invalid-feedback")
    assert "身份证号校验位不符" in error and "应为" not in error
    shot(page, "bad-id")
    page.fill("#id_head_id", good)
    page.click("#household-form button[type=submit]")
    page.wait_for_url("**/households/*/")
    assert "白彩云" in page.inner_text("h5")


def test_import_with_bad_rows_downloads_errors(page, county_user, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["绥德县农户名单"])
    sheet.append(["乡镇", "村", "户主姓名", "户主身份证号", "家庭人口"])
    sheet.append(["名州镇", "雕山村", "郝建国", make_id(seq=1), 3])
    sheet.append(["名州镇", "雕山村", "贺兰", "610826680512121", 2])
    sheet.append(["名州镇", "没有这个村", "白彩云", make_id(seq=3), 2])
    path = tmp_path / "名单.xlsx"
    book.save(path)
    log_in(page)
    page.goto("/exchange/imports/")
    page.set_input_files("#import-file", str(path))
    page.click("#upload-btn")
    page.wait_for_selector("#mapping-confirm-btn")  # the columns as proposed (ADR 0033)
    page.click("#mapping-confirm-btn")
    page.wait_for_selector("#confirm-btn")
    assert page.inner_text("#rejected-count") == "1"
    shot(page, "import-preview")
    with page.expect_download() as download_info:
        page.click("#errors-link")
    saved = tmp_path / "errors.xlsx"
    download_info.value.save_as(saved)
    rows = CalamineWorkbook.from_path(str(saved)).get_sheet_by_index(0).to_python()
    assert "没有这个村" in str(rows[2]) and "找不到" in rows[2][-1]
    page.click("#confirm-btn")
    page.wait_for_selector("#import-done")
    assert page.inner_text("#created-count") == "2"
    shot(page, "import-done")
    assert Path(saved).exists()
