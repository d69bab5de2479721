"""Password policy and session lifetime (finding 6)."""

import datetime as dt

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import User
from accounts.roles import Role
from conftest import PASSWORD, make_user


@pytest.mark.parametrize("password", ["Password1", "P@ssw0rd"])
def test_common_passwords_are_refused(db, password):
    with pytest.raises(ValidationError) as exc:
        validate_password(password, User(username="someone"))
    assert "常见" in " ".join(exc.value.messages)


def test_an_old_password_must_be_changed(client, county_user):
    User.objects.filter(pk=county_user.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=91))
    client.force_login(county_user)
    response = client.get(reverse("households:list"))
    assert response.url == reverse("accounts:password")
    assert "90 天" in client.get(response.url).content.decode()
    client.post(
        reverse("accounts:password"), {"old_password": PASSWORD, "new_password": "Fresh#2026pw", "new_password2": "Fresh#2026pw"}
    )
    assert client.get(reverse("households:list")).status_code == 200


def test_the_new_password_must_differ(client, county_user):
    client.force_login(county_user)
    page = client.post(
        reverse("accounts:password"), {"old_password": PASSWORD, "new_password": PASSWORD, "new_password2": PASSWORD}
    ).content.decode()
    assert "不能与原密码相同" in page


def test_an_initial_password_from_the_administrator_is_one_time(db):
    admin = make_user("sd_admin", "610826", Role.ADMIN)
    user = services.create_user(
        actor=admin, username="new_town", password="Start#2026pw", region_code="610826100", roles=["town_staff"]
    )
    assert user.must_change_password
    newcomer = Client()
    newcomer.post(reverse("accounts:login"), {"username": "new_town", "password": "Start#2026pw"})
    assert newcomer.get(reverse("home")).url == reverse("accounts:password")
    assert newcomer.get("/api/households/").status_code == 403
    assert newcomer.post(reverse("accounts:logout")).status_code == 302  # signing out stays possible


def test_the_session_ends_after_its_absolute_lifetime(client, county_user, settings):
    client.force_login(county_user)
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session["anju_logged_in_at"] -= settings.SESSION_ABSOLUTE_SECONDS + 1
    session.save()
    response = client.get(reverse("home"))  # however active it was
    assert response.status_code == 302 and reverse("accounts:login") in response.url
