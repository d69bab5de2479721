"""Deleting what other records still need is refused in Chinese, and the audit event of the refused
delete is not kept (finding 12: DELETE /api/households/{id}/ and /api/houses/{id}/ gave 500)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEvent
from conftest import token_for
from households.models import House, Household
from renovation.services import open_case


def api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token_for(user)}")


def test_deleting_a_household_or_house_under_renovation_is_refused(county_user: Any, village_user: Any, dangerous: Any) -> None:
    client, house = api(county_user), dangerous.houses.get()
    open_case(actor=village_user, house_id=house.pk)
    before = AuditEvent.objects.count()
    for path in (f"/api/households/{dangerous.pk}/", f"/api/houses/{house.pk}/"):
        response = client.delete(path)
        assert response.status_code == 400, response.content[:300]
        assert "不能删除" in response.content.decode() and "改造" in response.content.decode()
    assert Household.objects.filter(pk=dangerous.pk).exists() and House.objects.filter(pk=house.pk).exists()
    assert AuditEvent.objects.count() == before  # no "deleted" event for a delete that did not happen


def test_deleting_from_the_page_is_refused_with_a_message(
    county_user: Any, village_user: Any, dangerous: Any, client: Any
) -> None:
    open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    client.force_login(county_user)
    response = client.post(f"/households/{dangerous.pk}/delete/", follow=True)
    assert response.status_code == 200 and "不能删除" in response.content.decode()
    assert Household.objects.filter(pk=dangerous.pk).exists()


@pytest.mark.parametrize("value", ["²", "١٢", "9" * 30, "x"])
def test_member_and_house_filters_ignore_what_is_not_an_id(county_user: Any, dangerous: Any, value: str) -> None:
    for path in ("/api/members/", "/api/houses/"):
        assert api(county_user).get(f"{path}?household={value}").status_code == 200
