"""The county's aliases: kept by its administrator, audited, and never a way to file households
under a village of another county or to take another village's name (regions.aliases)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from accounts.roles import Role
from audit.models import AuditEvent
from conftest import make_user
from regions.aliases import AliasInput, save_alias
from regions.matching import MatchError, VillageMatcher
from regions.models import AliasKind, RegionAlias

LONGWAN_SQ = "610826100011"  # 龙湾社区居委会
LONGWAN_C = "610826100204"  # 龙湾村委会
WUYI = "610826100200"
MIZHI_VILLAGE = "610827001245"


@pytest.fixture
def admin(db):
    return make_user("sd_admin", "610826", Role.ADMIN)


def add(actor, alias="老龙湾", target=LONGWAN_C, county="610826", **extra):
    return save_alias(actor=actor, data=AliasInput(county=county, alias=alias, target=target, **extra))


def test_the_administrator_adds_edits_and_deactivates_audited(admin):
    alias = add(admin, alias=" 老 龙湾 ", note="老地名")
    assert alias.alias == "老龙湾" and alias.target_id == LONGWAN_C and alias.kind == AliasKind.COUNTY
    assert VillageMatcher("610826").resolve("", "", "老龙湾").code == LONGWAN_C
    save_alias(actor=admin, alias=alias, data=AliasInput(county="610826", alias="老龙湾", target="龙湾村委会", note="改"))
    save_alias(actor=admin, alias=alias, data=AliasInput(county="610826", alias="老龙湾", target=LONGWAN_C, is_active=False))
    verbs = list(AuditEvent.objects.filter(object_type="regions.regionalias").order_by("id").values_list("verb", flat=True))
    assert verbs == ["regionalias.create", "regionalias.update", "regionalias.deactivate"]
    with pytest.raises(MatchError):  # the matcher no longer knows it
        VillageMatcher("610826").resolve("", "", "老龙湾")


def test_an_alias_pointing_outside_the_county_is_refused(admin):
    with pytest.raises(ValidationError) as caught:
        add(admin, target=MIZHI_VILLAGE)
    assert "target" in caught.value.error_dict
    with pytest.raises(PermissionDenied):  # nor may the county be another
        add(admin, county="610827", target=MIZHI_VILLAGE)
    assert not RegionAlias.objects.exists()


def test_an_alias_may_not_take_another_villages_name(admin):
    for text in ("龙湾社区居委会", "龙湾社区", "五一村"):  # an official name, a 社区's short name, a 村's
        with pytest.raises(ValidationError) as caught:
            add(admin, alias=text, target=LONGWAN_C)
        message = str(caught.value.error_dict["alias"])
        assert "不能作为其他村的别名" in message, text
    assert "610826100011" in str(pytest.raises(ValidationError, add, admin, alias="龙湾社区").value)
    with pytest.raises(ValidationError, match="正式名称"):
        add(admin, alias="龙湾村委会", target=LONGWAN_C)  # its own name needs no alias
    # a bare base that fits both is the county's to decide
    assert add(admin, alias="龙湾", target=LONGWAN_SQ).target_id == LONGWAN_SQ
    with pytest.raises(ValidationError, match="已有别名"):
        add(admin, alias="龙湾", target=LONGWAN_C)


def test_roles_without_the_capability_are_refused_by_the_service(db):
    staff = make_user("sd_county", "610826", Role.COUNTY_STAFF)
    with pytest.raises(PermissionDenied):
        add(staff)
    town_admin = make_user("mz_admin", "610826100", Role.ADMIN)
    with pytest.raises(PermissionDenied):
        add(town_admin)


def test_the_page_lists_searches_and_saves(admin):
    client = Client()
    client.force_login(admin)
    response = client.post("/regions/aliases/new/", {"alias": "老龙湾", "target": LONGWAN_C, "note": "", "is_active": "on"})
    assert response.status_code == 302
    alias = RegionAlias.objects.get()
    assert alias.county == "610826"  # the county administrator's own county, whatever is posted
    page = client.get("/regions/aliases/", {"q": "龙湾"})
    assert "老龙湾" in page.content.decode() and "龙湾村委会" in page.content.decode()
    assert "老龙湾" not in client.get("/regions/aliases/", {"q": "五一"}).content.decode()
    refused = client.post("/regions/aliases/new/", {"alias": "龙湾社区", "target": LONGWAN_C, "is_active": "on"})
    assert refused.status_code == 200 and "不能作为其他村的别名" in refused.content.decode()
    edit = client.post(f"/regions/aliases/{alias.pk}/", {"alias": "老龙湾", "target": LONGWAN_C, "note": "停用"})
    assert edit.status_code == 302
    alias.refresh_from_db()
    assert not alias.is_active and alias.note == "停用"


def test_a_user_without_the_capability_posting_to_the_page(db, admin):
    alias = add(admin)
    for user in (
        make_user("sd_county", "610826", Role.COUNTY_STAFF),  # reads the list, changes nothing
        make_user("sd_auditor", "610826", Role.AUDITOR),
        make_user("mz_admin", "610827", Role.ADMIN),  # the neighbour's administrator
    ):
        client = Client()
        client.force_login(user)
        posted = client.post("/regions/aliases/new/", {"alias": "新龙湾", "target": LONGWAN_C, "is_active": "on"})
        changed = client.post(f"/regions/aliases/{alias.pk}/", {"alias": "坏", "target": WUYI, "is_active": "on"})
        assert posted.status_code in (403, 200) and changed.status_code in (403, 404), user.username
        if posted.status_code == 200:  # the neighbour's administrator: Suide is not theirs
            assert "不在您的管辖范围内" in posted.content.decode()
    assert list(RegionAlias.objects.values_list("alias", "target_id")) == [("老龙湾", LONGWAN_C)]


def test_former_names_may_only_be_switched_off(admin):
    old = RegionAlias.objects.create(county="610826", alias="五一大队村委会", target_id=WUYI, kind=AliasKind.HISTORICAL_NAME)
    with pytest.raises(ValidationError):
        save_alias(actor=admin, alias=old, data=AliasInput(county="610826", alias="别的", target=WUYI))
    save_alias(actor=admin, alias=old, data=AliasInput(county="610826", alias="", target="", is_active=False))
    old.refresh_from_db()
    assert not old.is_active and old.alias == "五一大队村委会"
