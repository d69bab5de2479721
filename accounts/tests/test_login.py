import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import throttle
from accounts.models import LoginThrottle, User
from accounts.passwords import ComplexityValidator
from accounts.services import attempt_login
from audit.models import AuditEvent
from conftest import PASSWORD


def login(client: Client, username: str, password: str):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_login_renews_session_id_and_is_audited(client, county_user):
    client.get(reverse("accounts:login"))
    session_before = client.cookies.get("sessionid")
    response = login(client, "sd_county", PASSWORD)
    assert response.status_code == 302
    assert client.cookies["sessionid"].value != (session_before.value if session_before else None)
    assert AuditEvent.objects.filter(verb="auth.login", actor_id=county_user.pk).exists()


def test_five_failures_lock_the_account_for_thirty_minutes(client, county_user):
    for _n in range(4):
        response = login(client, "sd_county", "wrong")
        assert "用户名或密码错误" in response.content.decode()
    response = login(client, "sd_county", "wrong")
    assert "已锁定 30 分钟" in response.content.decode()
    assert throttle.locked_until("sd_county") - timezone.now() > dt.timedelta(minutes=29)
    # even the right password is refused while locked
    assert "账号已被锁定" in login(client, "sd_county", PASSWORD).content.decode()
    assert AuditEvent.objects.filter(verb="auth.lockout", actor_id=county_user.pk).count() == 1
    assert AuditEvent.objects.filter(verb="auth.login_failed", actor_id=county_user.pk).count() == 5
    # after the lock runs out the right password works again
    LoginThrottle.objects.filter(key="sd_county").update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    assert attempt_login(username="sd_county", password=PASSWORD).user == county_user


def test_lockout_is_per_account(client, county_user, neighbour_user):
    for _ in range(5):
        login(client, "sd_county", "wrong")
    assert attempt_login(username="mz_county", password=PASSWORD).user == neighbour_user


def test_unknown_user_failure_is_audited(db, client):
    login(client, "nobody", "x")
    assert AuditEvent.objects.filter(verb="auth.login_failed", actor_name="nobody", success=False).exists()


@pytest.mark.parametrize(
    "password, code",
    [
        ("Ab1!", "too_short"),
        ("abcdefgh", "too_simple"),
        ("abcdefg1", "too_simple"),
        ("Sd_county2026", "contains_username"),
    ],
)
def test_password_policy(password, code):
    user = User(username="sd_county")
    with pytest.raises(ValidationError) as exc:
        ComplexityValidator().validate(password, user)
    assert code in [e.code for e in exc.value.error_list]


def test_good_password_passes():
    ComplexityValidator().validate("Anju#2026x", User(username="someone"))


def test_idle_session_expires(client, county_user, settings):
    login(client, "sd_county", PASSWORD)
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session["anju_last_seen"] = session["anju_last_seen"] - settings.SESSION_IDLE_SECONDS - 5
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
