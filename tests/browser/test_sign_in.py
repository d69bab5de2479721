"""Signing in with a second factor, in Chromium: enrolment by QR code on the web, the code on the field app."""

from base64 import b32decode
from typing import Any

import pytest

from accounts import second_factor
from conftest import PASSWORD
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _second_factor_on(settings: Any) -> None:
    settings.SECOND_FACTOR_CAPS = ["unmask", "pay_check"]
    settings.DEBUG = True  # enrol_demo below


def test_first_sign_in_enrols_the_authenticator(page: Any, county_user: Any) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", "sd_county")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#otp-qr svg")
    shot(page, "second-factor-enrol")
    secret = page.inner_text("#otp-secret")
    device = second_factor.new_device(county_user)
    device.key = b32decode(secret + "=" * (-len(secret) % 8)).hex()
    page.fill("#id_code", second_factor.current_code(device))
    page.click("button[type=submit]")
    page.wait_for_selector("#stat-households")
    assert second_factor.device(county_user) is not None


def test_field_app_asks_the_code(page: Any, town_user: Any) -> None:
    device = second_factor.enrol_demo(town_user)
    page.goto("/field/")
    page.fill("#login-form [name=username]", "sd_town")
    page.fill("#login-form [name=password]", PASSWORD)
    page.click("#login-form button")
    page.wait_for_selector("#login-form [name=otp]:not(.d-none)")
    assert "动态口令" in page.inner_text("#login-error")
    page.fill("#login-form [name=otp]", second_factor.current_code(device))
    page.click("#login-form button")
    page.wait_for_selector("#screen-home:not(.d-none)")
