"""The second factor (finding 6): TOTP for the roles that may unmask or approve payments."""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import second_factor
from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEvent
from conftest import PASSWORD, make_user


@pytest.fixture(autouse=True)
def _second_factor_on(settings):
    settings.SECOND_FACTOR_CAPS = ["unmask", "pay_check"]


def sign_in(client, username="sd_county"):
    return client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})


def test_required_from_capabilities(db):
    assert second_factor.required(make_user("c_user", "610826", Role.COUNTY_STAFF))  # unmask, pay_check
    assert second_factor.required(make_user("t_user", "610826100", Role.TOWN_STAFF))  # unmask
    assert not second_factor.required(make_user("v_user", "610826100201", Role.VILLAGE_CADRE))
    assert not second_factor.required(make_user("s_user", "61", Role.SUPERVISOR))


def test_password_alone_does_not_sign_in(client, county_user):
    response = sign_in(client)
    assert response.url == reverse("accounts:second_factor")
    assert client.get(reverse("households:list")).status_code == 302  # not signed in yet
    assert "_auth_user_id" not in client.session


def test_first_sign_in_enrols_with_a_qr_code(client, county_user):
    sign_in(client)
    page = client.get(reverse("accounts:second_factor")).content.decode()
    assert "<svg" in page and 'id="otp-secret"' in page
    assert not TOTPDevice.objects.exists()  # showing the page writes nothing
    secret = page.split('id="otp-secret">')[1].split("<")[0]
    assert secret in client.get(reverse("accounts:second_factor")).content.decode()  # the same key again
    device = second_factor.new_device(county_user, client.session["anju_second_factor_pending"]["key"])
    assert second_factor.secret(device) == secret
    assert client.post(reverse("accounts:second_factor"), {"code": "000000"}).status_code == 200
    response = client.post(reverse("accounts:second_factor"), {"code": second_factor.current_code(device)})
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("households:list")).status_code == 200
    assert TOTPDevice.objects.get(user=county_user).confirmed
    assert AuditEvent.objects.filter(verb="auth.otp_enrol", actor_id=county_user.pk).exists()


def test_enrolled_user_gives_the_current_code_once(client, county_user, settings):
    settings.DEBUG = True
    device = second_factor.enrol_demo(county_user)
    sign_in(client)
    page = client.get(reverse("accounts:second_factor")).content.decode()
    assert "<svg" not in page  # the secret is never shown again
    code = second_factor.current_code(device)
    assert client.post(reverse("accounts:second_factor"), {"code": code}).status_code == 302
    # the same code cannot be replayed by someone who watched it typed
    other = Client()
    sign_in(other)
    response = other.post(reverse("accounts:second_factor"), {"code": code})
    assert response.status_code == 200 and "动态口令不正确" in response.content.decode()


def test_wrong_codes_count_on_the_login_counter(client, county_user, settings):
    settings.DEBUG = True
    device = second_factor.enrol_demo(county_user)
    sign_in(client)
    for _n in range(4):
        page = client.post(reverse("accounts:second_factor"), {"code": "000000"}).content.decode()
        assert "动态口令不正确" in page
    page = client.post(reverse("accounts:second_factor"), {"code": "000001"}).content.decode()
    assert "已锁定" in page
    # the right code no longer helps, nor a new attempt with the password
    assert client.post(reverse("accounts:second_factor"), {"code": second_factor.current_code(device)}).status_code == 302
    assert "_auth_user_id" not in client.session
    assert "账号已被锁定" in sign_in(Client()).content.decode()


def test_pending_sign_in_expires(client, county_user):
    sign_in(client)
    session = client.session
    pending = session["anju_second_factor_pending"]
    pending["at"] -= 301
    session["anju_second_factor_pending"] = pending
    session.save()
    assert client.get(reverse("accounts:second_factor")).url == reverse("accounts:login")


def test_api_token_needs_the_code(client, county_user, settings):
    response = client.post("/api/auth/token/", {"username": "sd_county", "password": PASSWORD})
    assert response.status_code == 403 and "绑定" in response.json()["detail"]  # not enrolled yet
    settings.DEBUG = True
    device = second_factor.enrol_demo(county_user)
    response = client.post("/api/auth/token/", {"username": "sd_county", "password": PASSWORD})
    assert response.status_code == 401 and response.json()["otp_required"] is True
    response = client.post("/api/auth/token/", {"username": "sd_county", "password": PASSWORD, "otp": "123456"})
    assert response.status_code == 401 and "动态口令不正确" in response.json()["detail"]
    code = second_factor.current_code(device)
    response = client.post("/api/auth/token/", {"username": "sd_county", "password": PASSWORD, "otp": code})
    assert response.status_code == 200 and response.json()["token"]


def test_village_cadre_needs_no_second_factor(client, village_user):
    response = sign_in(client, "sd_village")
    assert response.url == reverse("home")


def test_lost_device_is_reset_from_the_level_above_only(client, county_user, settings):
    settings.DEBUG = True
    second_factor.enrol_demo(county_user)
    county_admin = make_user("sd_admin", "610826", Role.ADMIN)
    city_admin = make_user("yl_admin", "6108", Role.ADMIN)
    client.force_login(county_admin)
    client.post(reverse("accounts:user_reset_otp", args=[county_user.pk]))
    assert second_factor.device(county_user) is not None  # the one who resets passwords cannot
    client.force_login(city_admin)
    client.post(reverse("accounts:user_reset_otp", args=[county_user.pk]))
    assert second_factor.device(county_user) is None
    assert AuditEvent.objects.filter(verb="user.reset_otp", actor_id=city_admin.pk).exists()


def test_county_admin_reset_does_not_take_over_an_account_with_a_second_factor(client, county_user, settings):
    """The administrator knows the one-time password it set, but not the owner's authenticator."""
    from accounts import services

    settings.DEBUG = True
    second_factor.enrol_demo(county_user)
    admin = make_user("sd_admin", "610826", Role.ADMIN)
    services.set_password(actor=admin, user=county_user, password="Admin#2026set")
    attacker = Client()
    attacker.post(reverse("accounts:login"), {"username": "sd_county", "password": "Admin#2026set"})
    for guess in ("111111", "222222", "333333"):
        attacker.post(reverse("accounts:second_factor"), {"code": guess})
    assert "_auth_user_id" not in attacker.session


def test_demo_users_print_how_to_sign_in(db, settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("create_demo_users", stdout=out)
    assert "demo_otp" in out.getvalue()
    sd_county = User.objects.get(username="sd_county")
    assert second_factor.device(sd_county).key == second_factor.demo_key("sd_county")
    assert second_factor.device(User.objects.get(username="sd_village")) is None
    out = io.StringIO()
    call_command("demo_otp", "sd_county", stdout=out)
    code = out.getvalue().split("：")[1].split()[0]
    client = Client()
    client.post(reverse("accounts:login"), {"username": "sd_county", "password": "Anju@2026demo"})
    assert client.post(reverse("accounts:second_factor"), {"code": code}).url == reverse("home")


def test_demo_otp_refuses_outside_debug(db, settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    make_user("sd_county", "610826", Role.COUNTY_STAFF)
    with pytest.raises(CommandError):
        call_command("demo_otp", "sd_county")
    with pytest.raises(RuntimeError):
        second_factor.enrol_demo(User.objects.get(username="sd_county"))


def test_signing_in_again_with_the_password_gives_no_more_guesses_at_the_code(county_user, settings):
    """The password step does not clear the counter: only a complete sign-in does."""
    settings.DEBUG = True
    device = second_factor.enrol_demo(county_user)
    client = Client()
    for _n in range(5):
        assert sign_in(client).url == reverse("accounts:second_factor")
        client.post(reverse("accounts:second_factor"), {"code": "000000"})
    assert "账号已被锁定" in sign_in(client).content.decode()
    response = Client().post(
        "/api/auth/token/", {"username": "sd_county", "password": PASSWORD, "otp": second_factor.current_code(device)}
    )
    assert response.status_code == 401
