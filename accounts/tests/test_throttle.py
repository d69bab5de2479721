"""Sign-in throttling (finding 6): counted before the password is checked, under concurrency, the
same for unknown names, and on the password-change form."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.services import attempt_login
from audit.models import AuditEvent
from conftest import PASSWORD


def login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}).content.decode()


def messages_of(client, username):
    return [login(client, username, "wrong-Password1") for _ in range(7)]


def _error(page):
    start = page.index('id="login-error">') + len('id="login-error">')
    return page[start : page.index("</div>", start)]


def test_unknown_and_known_names_get_the_same_answers(client, county_user):
    known = [_error(p) for p in messages_of(client, "sd_county")]
    unknown = [_error(p) for p in messages_of(Client(REMOTE_ADDR="10.0.0.2"), "sd_nobody")]
    assert known == unknown
    assert "已锁定" in known[4] and "账号已被锁定" in known[6]


@pytest.mark.django_db(transaction=True)
def test_forty_parallel_attempts_are_not_all_checked(county_user, monkeypatch):
    """40 guesses at once: only LOCKOUT_FAILURES of them reach the password hash."""
    checked = []
    real = services.authenticate

    def slow_authenticate(**kwargs):
        checked.append(kwargs["username"])
        time.sleep(0.05)  # every guess is in flight at the same time
        return real(**kwargs)

    monkeypatch.setattr(services, "authenticate", slow_authenticate)
    results = []
    start = threading.Barrier(40)

    def guess(n):
        try:
            start.wait()
            results.append(attempt_login(username="sd_county", password=f"guess-{n}", address="10.1.1.1"))
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 40 and all(r.user is None for r in results)
    assert len(checked) <= 5, f"{len(checked)} of 40 parallel guesses were checked"
    assert sum(r.locked for r in results) >= 35
    # and the right password is refused now, without being checked
    before = len(checked)
    assert attempt_login(username="sd_county", password=PASSWORD).user is None
    assert len(checked) == before
    assert AuditEvent.objects.filter(verb="auth.lockout").count() == 1


def test_address_is_throttled_across_names(db, settings):
    settings.ADDRESS_LOCKOUT_FAILURES = 6
    answers = [attempt_login(username=f"name{n}", password="x", address="10.9.9.9") for n in range(8)]
    assert not answers[4].locked and answers[5].locked and answers[7].locked
    assert "该地址" in answers[7].error
    assert attempt_login(username="other", password="x", address="10.9.9.10").locked is False


def test_a_good_login_does_not_wash_out_an_address(db, county_user, settings):
    settings.ADDRESS_LOCKOUT_FAILURES = 4
    for n in range(3):
        attempt_login(username=f"victim{n}", password="x", address="10.7.7.7")
        assert attempt_login(username="sd_county", password=PASSWORD, address="10.7.7.7").user == county_user
    assert attempt_login(username="victim9", password="x", address="10.7.7.7").locked


def test_password_change_form_is_not_an_oracle(client, county_user):
    client.force_login(county_user)
    url = reverse("accounts:password")
    for _n in range(4):
        page = client.post(url, {"old_password": "guess", "new_password": "Good#2026pw", "new_password2": "Good#2026pw"})
        assert "原密码不正确" in page.content.decode()
    response = client.post(url, {"old_password": "guess", "new_password": "Good#2026pw", "new_password2": "Good#2026pw"})
    assert response.status_code == 302 and response.url == reverse("accounts:login")  # locked and signed out
    # the right old password is now refused as well, and the account is locked for the login page too
    client.force_login(county_user)
    response = client.post(url, {"old_password": PASSWORD, "new_password": "Good#2026pw", "new_password2": "Good#2026pw"})
    assert response.url == reverse("accounts:login")
    assert attempt_login(username="sd_county", password=PASSWORD).user is None
    county_user.refresh_from_db()
    assert county_user.check_password(PASSWORD)
    assert AuditEvent.objects.filter(verb="auth.login_failed", after__step="password_change").count() == 5


def test_admin_unlock_clears_the_counter(client, county_user):
    from accounts.roles import Role
    from conftest import make_user

    for _n in range(5):
        attempt_login(username="sd_county", password="nope")
    admin = make_user("sd_admin", "610826", Role.ADMIN)
    client.force_login(admin)
    assert "解锁" in client.get(reverse("accounts:users")).content.decode()
    client.post(reverse("accounts:user_unlock", args=[county_user.pk]))
    assert attempt_login(username="sd_county", password=PASSWORD).user == county_user


def test_address_counter_can_be_turned_off(db, settings):
    settings.ADDRESS_LOCKOUT_FAILURES = 0
    answers = [attempt_login(username=f"name{n}", password="x", address="10.9.9.9") for n in range(40)]
    assert not any(a.locked for a in answers)
