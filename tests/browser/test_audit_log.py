"""The audit log in Chromium as an auditor uses it (issue 12): the logins picked by the Chinese
name of the action, a household found by its ID number, and a change read as a table."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.roles import Role
from conftest import add_household, household_input, make_id, make_user
from households.services import update_household
from tests.browser.conftest import shot
from tests.browser.test_renovation import as_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def column(page: Any, n: int) -> list[str]:
    """The text of the events table's n-th column (1-based), row by row."""
    return [t.strip() for t in page.locator(f"#audit-table tbody tr td:nth-child({n})").all_inner_texts()]


def test_an_auditor_filters_by_登录_and_by_a_household_and_reads_a_change(page: Any, county_user: Any) -> None:
    make_user("sd_auditor", "610826", Role.AUDITOR)
    number = make_id(seq=611)
    household = add_household(county_user, head_id=number, name="贺兰", phone="13912345678")
    add_household(county_user, head_id=make_id(seq=612), name="白永旺")
    changed = household_input(head_id=number, name="贺兰", phone="13700001111", family_size=5)
    update_household(actor=county_user, household=household, data=changed, version=household.version)
    as_user(page, "sd_county")  # a login to find

    as_user(page, "sd_auditor")
    page.goto("/audit/")
    page.select_option("select[name=verb]", label="登录")
    page.click("#audit-search")
    page.wait_for_load_state()
    verbs, actors = column(page, 6), column(page, 3)
    assert verbs and set(verbs) == {"登录"}, verbs
    assert "sd_county" in actors and "sd_auditor" in actors
    shot(page, "audit-log-logins")

    page.goto("/audit/")
    page.fill("#id_id_number", number)
    page.click("#household-search")
    page.wait_for_selector("#household-active")
    assert number not in page.url
    labels = column(page, 8)
    assert labels and all("贺兰" in label for label in labels), labels
    assert "修改农户档案" in column(page, 6)
    shot(page, "audit-log-household")

    row = page.locator("#audit-table tbody tr", has_text="修改农户档案").first
    row.locator("td:first-child a").click()
    page.wait_for_selector("#change-table")
    header = [t.strip() for t in page.locator("#change-table thead th").all_inner_texts()]
    assert header == ["字段", "修改前", "修改后"]
    texts = [[t.strip() for t in r.locator("td").all_inner_texts()] for r in page.locator("#change-table tbody tr").all()]
    cells = {field: (old, new) for field, old, new in texts}
    assert cells["家庭人口"] == ("3", "5")
    assert "13700001111" not in cells["联系电话"][1] and cells["联系电话"][1].endswith("1111")
    assert page.locator("#event-type").inner_text().strip() == "农户"
    shot(page, "audit-log-change")
