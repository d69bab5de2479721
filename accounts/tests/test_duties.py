"""Separation of duties (finding 3): administrators, auditors and business roles kept apart."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEvent
from conftest import PASSWORD, make_user

NEW_PASSWORD = "Xian#2026reset"


@pytest.fixture
def county_admin(db):
    return make_user("sd_admin", "610826", Role.ADMIN)


@pytest.fixture
def province_admin(db):
    return make_user("sx_admin", "61", Role.ADMIN)


def edit(client, user, **changes):
    data = {
        "username": user.username,
        "region": user.region_id,
        "roles": sorted(user.role_set),
        "is_active": "on",
        "full_name": "",
        "phone": "",
        "password": "",
    }
    data.update(changes)
    return client.post(reverse("accounts:user_edit", args=[user.pk]), data)


def test_admin_cannot_grant_itself_business_or_auditor_roles(client, county_admin):
    """The county administrator of the finding gave itself county_staff and auditor."""
    client.force_login(county_admin)
    response = edit(client, county_admin, roles=["admin", "county_staff", "auditor"])
    assert response.status_code == 200 and "三权分立" in response.content.decode()
    response = edit(client, county_admin, roles=["county_staff"])
    assert "不能修改自己的角色" in response.content.decode()
    county_admin.refresh_from_db()
    assert county_admin.roles == "admin"


def test_province_admin_cannot_create_an_account_with_every_role(client, province_admin):
    client.force_login(province_admin)
    response = client.post(
        reverse("accounts:user_new"),
        {"username": "everything", "region": "610826", "roles": Role.values, "password": "Good#Pass2026", "is_active": "on"},
    )
    assert "三权分立" in response.content.decode()
    assert not User.objects.filter(username="everything").exists()


@pytest.mark.parametrize(
    "roles",
    [["admin", "county_staff"], ["admin", "auditor"], ["auditor", "county_staff"], ["auditor", "supervisor"]],
)
def test_exclusive_roles_are_refused_by_the_service(db, roles):
    with pytest.raises(ValidationError, match="三权分立"):
        services.create_user(actor=None, username="x", password=PASSWORD, region_code="610826", roles=roles)


def test_business_roles_combine(db):
    user = services.create_user(
        actor=None, username="x", password=PASSWORD, region_code="610826", roles=["county_staff", "appraiser"]
    )
    assert user.role_set == {"county_staff", "appraiser"}


def test_the_database_refuses_a_shell_that_walks_around_the_service(county_admin):
    """A management command or shell writing roles directly still cannot join the duties."""
    for roles in ("admin,county_staff", "auditor,town_staff", "admin,auditor"):
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.filter(pk=county_admin.pk).update(roles=roles)


def test_county_admin_cannot_touch_the_county_auditor(client, county_admin):
    """It reset the auditor's password and logged in as the auditor."""
    auditor = make_user("sd_auditor", "610826", Role.AUDITOR)
    client.force_login(county_admin)
    response = edit(client, auditor, password=NEW_PASSWORD)
    assert "上级系统管理员" in response.content.decode()
    assert Client().post(reverse("accounts:login"), {"username": "sd_auditor", "password": NEW_PASSWORD}).status_code == 200
    with pytest.raises(PermissionDenied):
        services.set_password(actor=county_admin, user=auditor, password=NEW_PASSWORD)
    # nor make itself a shadow auditor or a second administrator
    for role in ("auditor", "admin"):
        response = client.post(
            reverse("accounts:user_new"),
            {"username": f"shadow_{role}", "region": "610826", "roles": [role], "password": "Good#Pass2026", "is_active": "on"},
        )
        assert "上级系统管理员" in response.content.decode()
    assert not User.objects.filter(username__startswith="shadow").exists()


def test_nobody_changes_their_own_roles_even_through_the_service(county_admin):
    with pytest.raises(PermissionDenied):
        services.update_user(
            actor=county_admin, user=county_admin, region_code="61", roles=["admin"], full_name="", phone="", is_active=True
        )
    with pytest.raises(PermissionDenied):
        services.set_password(actor=county_admin, user=make_user("other_admin", "610826", Role.ADMIN), password=NEW_PASSWORD)


def test_admin_reset_is_a_one_time_password_shown_to_the_owner(client, county_admin, county_user):
    client.force_login(county_admin)
    assert edit(client, county_user, password=NEW_PASSWORD).status_code == 302
    county_user.refresh_from_db()
    assert county_user.must_change_password and county_user.password_set_by == county_admin
    assert AuditEvent.objects.filter(verb="user.reset_password", actor_id=county_admin.pk, object_id=str(county_user.pk)).exists()
    owner = Client()
    response = owner.post(reverse("accounts:login"), {"username": "sd_county", "password": NEW_PASSWORD}, follow=True)
    page = response.content.decode()
    assert "由系统管理员" in page and "重置" in page  # the notice on the change page
    assert response.redirect_chain[-1][0] == reverse("accounts:password")
    # nothing else opens until the owner sets a password of their own
    assert owner.get(reverse("households:list")).url == reverse("accounts:password")
    assert owner.get("/api/households/").status_code == 403
    owner.post(
        reverse("accounts:password"),
        {"old_password": NEW_PASSWORD, "new_password": "Mine#2026own", "new_password2": "Mine#2026own"},
    )
    county_user.refresh_from_db()
    assert not county_user.must_change_password
    assert owner.get(reverse("households:list")).status_code == 200


def test_province_admin_manages_the_county_auditor(province_admin):
    auditor = make_user("sd_auditor", "610826", Role.AUDITOR)
    services.set_password(actor=province_admin, user=auditor, password=NEW_PASSWORD)
    auditor.refresh_from_db()
    assert auditor.must_change_password


def test_demo_users_keep_the_rules(db):
    from django.core.management import call_command

    call_command("create_demo_users", stdout=open("/dev/null", "w"))
    for user in User.objects.all():
        held = user.role_set
        assert not ({"admin", "auditor"} & held) or len(held) == 1, user.username
        assert not user.must_change_password, user.username


def test_operator_command_manages_the_province_accounts(db, monkeypatch):
    from django.core.management import call_command

    monkeypatch.setattr("getpass.getpass", lambda prompt="": "Prov#2026audit")
    call_command("account", "create", "sx_auditor", "--region", "61", "--role", "auditor", stdout=open("/dev/null", "w"))
    auditor = User.objects.get(username="sx_auditor")
    assert auditor.must_change_password and auditor.roles == "auditor"
    call_command("account", "reset-password", "sx_auditor", stdout=open("/dev/null", "w"))
    assert AuditEvent.objects.filter(verb="user.reset_password", object_id=str(auditor.pk), actor_id=None).exists()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="三权分立"):
        call_command("account", "create", "sx_both", "--region", "61", "--role", "auditor", "--role", "admin")


def test_own_password_only_through_the_change_form(client, county_admin):
    """The user edit page would otherwise change one's own password without the old one."""
    client.force_login(county_admin)
    response = edit(client, county_admin, password=NEW_PASSWORD)
    assert "修改密码" in response.content.decode()
    county_admin.refresh_from_db()
    assert county_admin.check_password(PASSWORD)
