"""Wrong types and values on the renovation API are refused with 400 and a Chinese message (finding 12:
schemathesis found HTTP 500s on POST /api/cases/open/ and /api/notices/)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEvent
from conftest import token_for
from renovation.models import Case, Notice

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token_for(user)}")


def refused(response: Any) -> str:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    text = response.content.decode()
    assert CHINESE.search(text), text
    return text


@pytest.mark.parametrize(
    "body",
    [{"house": [None, None]}, {"house": {"a": 1}}, {"house": "abc"}, {"house": True}, {"house": 2**70}, {"house": -3}, {},
     [None, None], "house", 7, None],
)  # fmt: skip
def test_open_case_with_a_malformed_house(village_user: Any, dangerous: Any, body: Any) -> None:
    client = api(village_user)  # issuing its token is audited: count after it
    before = AuditEvent.objects.count()
    refused(client.post("/api/cases/open/", body, content_type="application/json"))
    assert Case.objects.count() == 0 and AuditEvent.objects.count() == before


def test_open_case_still_opens_with_the_id_as_a_string(village_user: Any, dangerous: Any) -> None:
    house = dangerous.houses.get().pk
    assert api(village_user).post("/api/cases/open/", {"house": str(house)}, content_type="application/json").status_code == 201


@pytest.mark.parametrize(
    "body",
    [[None, None], {"level": "village", "scope": "x", "cases": "1"}, {"level": ["village"], "scope": {}, "cases": [1]},
     {"level": "village", "scope": "610826100201", "cases": [{"id": 1}]}, {"level": "village", "scope": "610826100201"},
     {"level": "village", "scope": "610826100201", "cases": [1], "start_date": "2026-02-30"},
     {"level": "village", "scope": "610826100201", "cases": [1], "end_date": 20260101},
     {"level": "palace", "scope": "610826100201", "cases": [1]}],
)  # fmt: skip
def test_publish_notice_with_malformed_fields(village_user: Any, body: Any) -> None:
    refused(api(village_user).post("/api/notices/", body, content_type="application/json"))
    assert Notice.objects.count() == 0


@pytest.mark.parametrize("query", ["year=abc", "year=²", "year=99999999999999999999", "region=61x", "region=²", "state=nope"])
def test_case_list_filters_are_checked(county_user: Any, query: str) -> None:
    refused(api(county_user).get(f"/api/cases/?{query}"))


def test_case_list_filters_still_filter(county_user: Any, village_user: Any, dangerous: Any) -> None:
    case = api(village_user).post("/api/cases/open/", {"house": dangerous.houses.get().pk}, content_type="application/json")
    county = api(county_user)
    year = case.json()["year"]
    assert county.get(f"/api/cases/?year={year}&region=6108&state=application").json()["count"] == 1
    assert county.get(f"/api/cases/?year={year + 1}").json()["count"] == 0
    assert county.get("/api/cases/?year=&state=").json()["count"] == 1  # empty means no filter, as before
    assert county.get("/api/cases/?overdue=1").json()["count"] == 0


@pytest.mark.parametrize("body", [{"action": "village_review", "version": 2**70}, {"action": ["x"]}, [1]])
def test_transition_with_malformed_fields(village_user: Any, dangerous: Any, body: Any) -> None:
    case = api(village_user).post("/api/cases/open/", {"house": dangerous.houses.get().pk}, content_type="application/json")
    refused(api(village_user).post(f"/api/cases/{case.json()['id']}/transition/", body, content_type="application/json"))
