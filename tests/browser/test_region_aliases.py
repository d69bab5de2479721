"""Issue 13: the village alias page (regions.aliases) in Chromium as a county administrator uses
it: add an alias by the village's name, find it, and be told in Chinese why another village's
short name cannot be one."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.roles import Role
from conftest import make_user
from regions.models import RegionAlias
from tests.browser.conftest import shot
from tests.browser.test_renovation import as_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_adds_an_alias_and_is_refused_another_villages_name(page: Any) -> None:
    make_user("sd_admin", "610826", Role.ADMIN)
    as_user(page, "sd_admin")
    page.goto("/")
    page.click("text=村名别名")
    page.click("#alias-new")
    page.fill("#id_alias", "老龙湾")
    page.fill("#id_target", "龙湾村委会")
    page.fill("#id_note", "八十年代的叫法")
    page.click("button[type=submit]")
    page.wait_for_selector("#alias-table")
    assert "老龙湾" in page.inner_text("#alias-table") and "610826100204" in page.inner_text("#alias-table")
    shot(page, "region-aliases")

    page.click("#alias-new")
    page.fill("#id_alias", "龙湾社区")
    page.fill("#id_target", "610826100204")
    page.click("button[type=submit]")
    page.wait_for_selector(".invalid-feedback, .alert-danger, .text-danger")
    assert "不能作为其他村的别名" in page.content() and "610826100011" in page.content()
    shot(page, "region-alias-refused")
    assert RegionAlias.objects.count() == 1
