"""A county official enters 999,999 yuan for a C repair whose county standard is 5,000 (issue 12, finding 3)
and sees it refused in Chinese, naming the standard and its document; nothing is saved."""

from __future__ import annotations

from typing import Any

import pytest

from renovation.models import Case
from renovation.services import open_case
from renovation.tests.fixtures import through_notices
from tests.browser.conftest import shot
from tests.browser.test_renovation import as_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_county_official_sees_999999_yuan_refused(
    page: Any, county_user: Any, village_user: Any, town_user: Any, dangerous: Any, craftsman: Any
) -> None:
    opened = open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    case = through_notices(opened, village_user, town_user, county_user)
    as_user(page, "sd_county")
    page.goto(f"/renovation/cases/{case.pk}/")
    page.select_option("#case-terms select[name=mode]", "repair")
    page.select_option("#case-terms select[name=build_method]", "self")
    page.select_option("#case-terms select[name=builder]", str(craftsman.pk))
    page.fill("#case-terms input[name=subsidy]", "999999")
    page.click("#case-terms button")
    page.wait_for_load_state()
    alert = page.locator(".alert", has_text="超过适用标准").first
    alert.wait_for()
    text = alert.inner_text()
    assert "999999" in text and "5000.00" in text and "绥建发〔2026〕8号" in text
    shot(page, "subsidy_limit_refused")
    saved = Case.objects.get(pk=case.pk)
    assert saved.subsidy is None and saved.mode == ""
