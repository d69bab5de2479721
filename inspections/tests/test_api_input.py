"""Non-numeric filters and malformed bodies on the inspections and appraisals API: 400 in Chinese (finding 12)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from conftest import token_for

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token_for(user)}")


@pytest.mark.parametrize(
    "path",
    ["/api/inspections/?household=abc", "/api/inspections/?campaign=1.5", "/api/inspections/?household=²",
     "/api/inspections/?since=yesterday", "/api/inspections/?since=2026-02-30", "/api/inspections/?verdict=maybe",
     "/api/appraisals/?household=x", "/api/appraisals/?house=99999999999999999999999", "/api/appraisals/?grade=Z",
     "/api/appraisals/?kind=%00"],
)  # fmt: skip
def test_list_filters_are_checked(county_user: Any, path: str) -> None:
    response = api(county_user).get(path)
    assert response.status_code == 400, response.content[:300]
    assert CHINESE.search(response.content.decode())


def test_list_filters_still_filter(county_user: Any, appraiser_user: Any, dangerous: Any) -> None:
    county = api(county_user)
    house = dangerous.houses.get().pk
    assert county.get(f"/api/appraisals/?household={dangerous.pk}&house={house}&grade=C&kind=original").json()["count"] == 1
    assert county.get("/api/appraisals/?grade=A").json()["count"] == 0
    assert county.get("/api/appraisals/?grade=&household=").json()["count"] == 1
    assert county.get(f"/api/inspections/?household={dangerous.pk}&since=2000-01-01&verdict=safe").status_code == 200


@pytest.mark.parametrize(
    "body",
    [{"house": {"a": 1}}, {"house": "x"}, {"house": 1, "appraisers": "all"}, {"house": 1, "appraisers": [{"id": 1}]},
     {"house": 1, "components": ["a"]}, {"house": 1, "appraised_on": "2026-02-30"}, "appraisal"],
)  # fmt: skip
def test_appraisal_post_with_a_wrong_shape(appraiser_user: Any, dangerous: Any, body: Any) -> None:
    response = api(appraiser_user).post("/api/appraisals/", body, content_type="application/json")
    assert response.status_code in (400, 403), response.content[:300]
    assert CHINESE.search(response.content.decode())
