"""The county administrator's alias page in Chromium (issue 13, ADR 0030): 低保户 mapped for the
county, the clash with a seeded spelling refused in Chinese, and the alias stopped again."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.roles import Role
from codetables.models import CodeAlias
from conftest import make_user
from tests.browser.conftest import shot
from tests.browser.test_renovation import as_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_county_administrator_maps_低保户_for_the_county_and_stops_it(page: Any) -> None:
    make_user("sd_admin", "610826", Role.ADMIN)
    as_user(page, "sd_admin")
    page.goto("/codes/")
    page.click('main a[href^="/codes/aliases/"]')  # the code table's own link (the menu also has 村名别名)
    page.wait_for_url("**/codes/aliases/**")
    shot(page, "code-aliases-seeded")
    page.goto("/codes/aliases/new/")
    page.fill("#id_alias", "砖混结构")
    page.select_option("#id_target", label="框架")
    page.click("#main-form button[type=submit]")
    assert "已是全省通用的别名（对应“砖混”）" in page.inner_text("#main-form")
    shot(page, "code-alias-clash")
    page.fill("#id_alias", "低保户")
    page.select_option("#id_target", label="农村低保户")
    page.fill("#id_note", "本县台账中“低保户”均指农村低保户（民政局 2023 年名单）")
    page.click("#main-form button[type=submit]")
    page.wait_for_url("**/codes/aliases/")
    assert "别名已保存" in page.inner_text("main")
    page.fill("input[name=q]", "低保户")
    page.click("text=查询")
    row = page.locator("tr", has_text="低保户").first
    assert "绥德县（610826）" in row.inner_text() and "农村低保户" in row.inner_text()
    shot(page, "code-aliases-county")
    row.locator("button", has_text="停用").click()
    page.wait_for_load_state()
    assert "已停用" in page.inner_text("main")
    assert not CodeAlias.objects.get(alias="低保户").is_active
