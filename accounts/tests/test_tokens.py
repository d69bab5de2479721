"""API tokens (finding 6): expiry, revocation on logout and password change, listing and revoking by
the owner and the administrator, a read-only scope, only the hash stored."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import authentication, tokens
from accounts.models import ApiToken, TokenKind, TokenScope
from accounts.roles import Role
from audit.models import AuditEvent
from conftest import PASSWORD, make_user


def api(key):
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def token_for(client, username="sd_county"):
    response = client.post("/api/auth/token/", {"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def test_issued_token_expires_and_only_its_hash_is_stored(client, county_user):
    key = token_for(client)
    row = ApiToken.objects.get(user=county_user)
    assert key not in (row.key_hash, row.prefix) and row.key_hash == tokens.digest(key)
    assert dt.timedelta(days=6) < row.expires_at - timezone.now() <= dt.timedelta(days=7)
    assert api(key).get("/api/households/").status_code == 200
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    authentication._cache.clear()
    assert api(key).get("/api/households/").status_code == 401


def test_an_expired_token_stops_even_while_cached(client, county_user):
    key = token_for(client)
    assert api(key).get("/api/households/").status_code == 200  # cached now
    for entry in authentication._cache.values():
        entry[2].expires_at = timezone.now() - dt.timedelta(seconds=1)
    assert api(key).get("/api/households/").status_code == 401


def test_logout_revokes_the_app_token_at_once(client, county_user):
    key = token_for(client)
    assert api(key).get("/api/households/").status_code == 200  # cached in this process
    assert api(key).post("/api/auth/logout/").status_code == 204
    assert api(key).get("/api/households/").status_code == 401


def test_web_logout_revokes_login_tokens_but_not_named_ones(client, county_user):
    app_key = token_for(Client())
    named = tokens.issue(user=county_user, name="民政比对", kind=TokenKind.NAMED)
    client.force_login(county_user)
    client.post(reverse("accounts:logout"))
    assert api(app_key).get("/api/households/").status_code == 401
    assert api(named.key).get("/api/households/").status_code == 200


def test_password_change_revokes_every_token(client, county_user):
    app_key = token_for(Client())
    named = tokens.issue(user=county_user, name="民政比对", kind=TokenKind.NAMED)
    assert api(named.key).get("/api/households/").status_code == 200
    client.force_login(county_user)
    client.post(
        reverse("accounts:password"),
        {"old_password": PASSWORD, "new_password": "Fresh#2026pw", "new_password2": "Fresh#2026pw"},
    )
    assert api(app_key).get("/api/households/").status_code == 401
    assert api(named.key).get("/api/households/").status_code == 401
    assert AuditEvent.objects.filter(verb="token.revoke_all", object_id=str(county_user.pk)).exists()


def test_revocation_elsewhere_is_noticed_within_the_cache_time(county_user, settings):
    issued = tokens.issue(user=county_user, name="x")
    assert api(issued.key).get("/api/households/").status_code == 200
    # another worker process revokes it: this process's cache does not know
    ApiToken.objects.filter(pk=issued.token.pk).update(revoked_at=timezone.now())
    for h, (_deadline, user, token) in list(authentication._cache.items()):
        authentication._cache[h] = (0.0, user, token)  # TOKEN_CACHE_SECONDS later
    assert api(issued.key).get("/api/households/").status_code == 401
    assert settings.TOKEN_CACHE_SECONDS <= 5


def test_the_owner_lists_creates_and_revokes_tokens(client, county_user):
    client.force_login(county_user)
    response = client.post(reverse("accounts:tokens"), {"name": "民政比对", "scope": "read", "days": "30"})
    page = response.content.decode()
    row = ApiToken.objects.get(user=county_user, name="民政比对")
    assert row.scope == TokenScope.READ and row.kind == TokenKind.NAMED
    assert row.prefix in page and 'id="new-token"' in page
    key = page.split('id="new-token">')[1].split("<code>")[1].split("</code>")[0]
    assert tokens.digest(key) == row.key_hash
    client.post(reverse("accounts:token_revoke", args=[row.pk]))
    assert api(key).get("/api/households/").status_code == 401
    assert "民政比对" not in client.get(reverse("accounts:tokens")).content.decode()


def test_read_only_token_cannot_write(county_user):
    issued = tokens.issue(user=county_user, name="只读", kind=TokenKind.NAMED, scope=TokenScope.READ)
    assert api(issued.key).get("/api/households/").status_code == 200
    response = api(issued.key).post("/api/cases/open/", {}, content_type="application/json")
    assert response.status_code == 403 and "只读" in response.json()["detail"]


def test_administrator_revokes_tokens_of_its_accounts_only(client, county_user, neighbour_user):
    admin = make_user("sd_admin", "610826", Role.ADMIN)
    mine = tokens.issue(user=county_user, name="a")
    theirs = tokens.issue(user=neighbour_user, name="b")
    client.force_login(admin)
    assert mine.token.prefix in client.get(reverse("accounts:user_security", args=[county_user.pk])).content.decode()
    assert client.get(reverse("accounts:user_security", args=[neighbour_user.pk])).status_code == 404
    assert client.post(reverse("accounts:token_revoke", args=[theirs.token.pk])).status_code == 404
    client.post(reverse("accounts:token_revoke", args=[mine.token.pk]))
    assert api(mine.key).get("/api/households/").status_code == 401
    assert api(theirs.key).get("/api/households/").status_code == 200
    assert AuditEvent.objects.filter(verb="token.revoke", actor_id=admin.pk).count() == 1


def test_another_users_token_cannot_be_revoked_by_a_colleague(client, county_user):
    colleague = make_user("sd_county2", "610826", Role.COUNTY_STAFF)
    issued = tokens.issue(user=county_user, name="a")
    client.force_login(colleague)
    assert client.post(reverse("accounts:token_revoke", args=[issued.token.pk])).status_code in (403, 404)
    assert api(issued.key).get("/api/households/").status_code == 200


def test_a_deactivated_user_loses_its_tokens(county_user):
    from accounts import services

    admin = make_user("sd_admin", "610826", Role.ADMIN)
    issued = tokens.issue(user=county_user, name="a")
    services.update_user(
        actor=admin, user=county_user, region_code="610826", roles=["county_staff"], full_name="", phone="", is_active=False
    )
    assert api(issued.key).get("/api/households/").status_code == 401


@pytest.mark.parametrize("flag", ["must_change", "expired"])
def test_token_refused_until_the_password_is_changed(county_user, flag):
    from accounts.models import User

    issued = tokens.issue(user=county_user, name="a")
    if flag == "must_change":
        User.objects.filter(pk=county_user.pk).update(must_change_password=True)
    else:
        User.objects.filter(pk=county_user.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=91))
    response = api(issued.key).get("/api/households/")
    assert response.status_code == 403 and "请先修改密码" in response.json()["detail"]
    assert Client().post("/api/auth/token/", {"username": "sd_county", "password": PASSWORD}).status_code == 403
