"""Wrong shapes on the field app's API are refused, never a 500 (finding 12: POST /api/field/photos/);
a record of the outbox with a wrong shape is answered "rejected" with a Chinese reason."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.test import Client

from conftest import token_for
from field.models import Photo
from inspections.models import Inspection

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token_for(user)}")


def inspection_record(hh: Any, **changes: Any) -> dict[str, Any]:
    record = {"kind": "inspection", "uid": str(uuid.uuid4()), "household": hh.pk, "house": hh.houses.get().pk,
              "data": {"inspected_on": "2026-03-02", "verdict": "safe", "inspector_name": "张三"}}  # fmt: skip
    return record | changes


@pytest.mark.parametrize(
    "body",
    [True, [None], "photo", {"uid": "x"}, {"uid": str(uuid.uuid4()), "record_kind": "inspection", "record_uid": str(uuid.uuid4()),
     "size": "big"}, {"uid": str(uuid.uuid4()), "record_kind": "inspection", "record_uid": str(uuid.uuid4()), "size": 10,
     "gps": [1, 2]}, {"uid": str(uuid.uuid4()), "record_kind": "inspection", "record_uid": str(uuid.uuid4()), "size": 10,
     "taken_at": "2026-13-45T25:61:00"}],
)  # fmt: skip
def test_photo_declaration_with_a_wrong_shape(county_user: Any, body: Any) -> None:
    response = api(county_user).post("/api/field/photos/", body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert CHINESE.search(response.content.decode())
    assert not Photo.objects.exists()


def test_photo_declared_as_the_field_app_does(county_user: Any, household: Any) -> None:
    records = {"records": [inspection_record(household)]}
    synced = api(county_user).post("/api/field/sync/", records, content_type="application/json")
    record_uid = synced.json()["results"][0]["uid"]
    body = {"uid": str(uuid.uuid4()), "record_kind": "inspection", "record_uid": record_uid, "size": 1000, "sha256": None,
            "taken_at": None, "part": None, "gps": None}  # fmt: skip
    assert api(county_user).post("/api/field/photos/", body, content_type="application/json").status_code == 201


@pytest.mark.parametrize(
    "changes",
    [{"gps": [1]}, {"gps": {"accuracy": "far"}}, {"gps": {"accuracy": 1e300}}, {"gps": {"latitude": "NaN", "longitude": 1}},
     {"gps": {"latitude": "1e400", "longitude": 1}}, {"household": {"id": 1}}, {"household": "١٢x"}, {"house": [1]},
     {"data": [1]}, {"data": {"inspected_on": "2026-02-30", "verdict": "safe"}},
     {"data": {"inspected_on": "2026-03-02", "verdict": "safe", "answers": ["a"]}},
     {"data": {"inspected_on": "2026-03-02", "verdict": "safe", "risk_parts": 5}},
     {"data": {"inspected_on": "2026-03-02", "verdict": "safe", "campaign": "x"}}, {"base": "v1"},
     {"base": {"household_version": "v1"}}, {"house_changes": [1]}, {"seq": "first"}, {"captured_at": "2026-02-30T10:00:00"},
     {"data": {"inspected_on": "2026-03-02", "verdict": "safe", "note": "a\x00b"}},
     {"data": {"inspected_on": "2026-03-02", "verdict": "safe", "answers": {"q\x00": "x"}}}],
)  # fmt: skip
def test_sync_record_with_a_wrong_shape_is_rejected(county_user: Any, household: Any, changes: dict[str, Any]) -> None:
    record = inspection_record(household, **changes)
    response = api(county_user).post("/api/field/sync/", {"records": [record]}, content_type="application/json")
    assert response.status_code == 200, response.content[:300]
    result = response.json()["results"][0]
    assert result["status"] == "rejected" and CHINESE.search(str(result["errors"])), result
    assert not Inspection.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{"household": {"a": 1}}, {"household": [1]}, {"household": "12.5"}, [1, 2], {"household": 1, "uid": "not-a-uuid"},
     {"household": 1, "house": "x"}],
)  # fmt: skip
def test_inspection_post_with_a_wrong_shape(county_user: Any, household: Any, body: Any) -> None:
    response = api(county_user).post("/api/inspections/", body, content_type="application/json")
    assert response.status_code in (400, 403), response.content[:300]
    assert CHINESE.search(response.content.decode())


def test_inspection_post_with_a_wrong_shape_inside_the_form(county_user: Any, household: Any) -> None:
    body = {"household": household.pk, "inspected_on": "2026-03-02", "verdict": "safe", "answers": "yes"}
    response = api(county_user).post("/api/inspections/", body, content_type="application/json")
    assert response.status_code == 400 and CHINESE.search(response.content.decode())


def test_a_nul_character_is_refused_on_every_database(county_user: Any, household: Any) -> None:
    """PostgreSQL cannot store NUL in text or jsonb (a 500 there); SQLite could: refused on both alike."""
    body = {"household": household.pk, "inspected_on": "2026-03-02", "verdict": "safe", "note": "x\x00y"}
    response = api(county_user).post("/api/inspections/", body, content_type="application/json")
    assert response.status_code == 400 and "空字符" in response.content.decode()
    assert not Inspection.objects.exists()
