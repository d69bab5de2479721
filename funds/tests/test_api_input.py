"""Wrong types and values on POST /api/batches/ are refused with 400 and a Chinese message (finding 12)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from conftest import token_for
from funds.models import DisbursementBatch
from funds.tests.test_money import two_accepted  # noqa: F401 (fixture)
from renovation.models import Case

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token_for(user)}")


@pytest.mark.parametrize(
    "body",
    [[{"x": {"y": False}}, {}, None], {"county": "610826", "year": {"a": 1}}, {"county": "610826", "year": "二〇二六"},
     {"county": ["610826"], "year": 2026}, {"county": "6108", "year": 2026}, {"county": "610826", "year": 2**70},
     {"county": "610826", "year": 2026, "cases": 5}, {"county": "610826", "year": 2026, "cases": [[1]]},
     {"county": "610826", "year": 2026, "cases": [2**70]}, {"county": "610826", "year": 2026, "stage": "bribe"}, True],
)  # fmt: skip
def test_batch_with_malformed_fields(county_user: Any, body: Any) -> None:
    response = api(county_user).post("/api/batches/", body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert CHINESE.search(response.content.decode())
    assert not DisbursementBatch.objects.exists()


def test_batch_still_built_from_string_values(two_accepted: list[Case], county_user: Any) -> None:  # noqa: F811
    body = {"county": "610826", "year": str(two_accepted[0].year), "cases": [str(two_accepted[0].pk)]}
    made = api(county_user).post("/api/batches/", body, content_type="application/json")
    assert made.status_code == 201 and made.json()["count"] == 1 and made.json()["number"] == 1
