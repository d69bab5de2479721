"""The field sync tried as an attacker's client (issue 12): text longer than its column is refused per
record in Chinese, never a 500 (PostgreSQL refuses the value where SQLite stores it)."""

from __future__ import annotations

from typing import Any

import pytest

from field.tests.test_api_input import CHINESE, api, inspection_record
from inspections.models import Inspection


@pytest.mark.parametrize("field", ["inspector_name", "confirmed_by"])
def test_an_overlong_name_in_a_synced_inspection_is_rejected(county_user: Any, household: Any, field: str) -> None:
    record = inspection_record(household)
    record["data"] = {**record["data"], "household_confirmed": True, "confirmed_by": "郝建国", field: "高" * 80}
    response = api(county_user).post("/api/field/sync/", {"records": [record]}, content_type="application/json")
    assert response.status_code == 200, response.content[:300]
    result = response.json()["results"][0]
    assert result["status"] == "rejected" and CHINESE.search(str(result["errors"])), result
    assert not Inspection.objects.exists()
