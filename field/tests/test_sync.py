from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.roles import Role
from conftest import PASSWORD, add_household, make_id, make_user
from core.images import describe, sample_jpeg
from field import sync
from field.models import Conflict, EvidenceFlag, Photo
from households.services import save_house
from inspections.models import Inspection

TODAY = dt.date.today()


def payload(household: Any, **kw: Any) -> dict[str, Any]:
    house = household.houses.get()
    base: dict[str, Any] = {
        "uid": str(uuid.uuid4()),
        "kind": "inspection",
        "household": household.pk,
        "house": house.pk,
        "device": "phone-1",
        "seq": 1,
        "captured_at": timezone.now().isoformat(),
        "downloaded_at": (timezone.now() - dt.timedelta(hours=2)).isoformat(),
        "base": {"household_version": household.version, "house_version": house.version},
        "gps": {"latitude": "37.500400", "longitude": "110.250300", "accuracy": 12.4, "mock": False},
        "data": {
            "inspected_on": TODAY.isoformat(),
            "verdict": "safe",
            "inspector_name": "高建国",
            "household_confirmed": True,
            "confirmed_by": "郝建国",
        },
    }
    base.update(kw)
    return base


def test_a_record_is_stored_once_however_often_it_is_sent(town_user: Any, household: Any) -> None:
    p = payload(household)
    first = sync.sync_record(actor=town_user, payload=p)
    again = sync.sync_record(actor=town_user, payload=p)
    assert first["status"] == "created" and again == {"uid": p["uid"], "status": "exists", "id": first["id"]}
    stored = Inspection.objects.get()
    assert (stored.source, stored.accuracy_m, stored.latitude) == ("field", 12, Decimal("37.500400"))
    assert not EvidenceFlag.objects.exists() and not Conflict.objects.exists()  # 60 m from the house, in time


def test_bad_records_are_rejected_with_reasons_and_the_rest_kept(town_user: Any, household: Any, neighbour_user: Any) -> None:
    bad = payload(household, data={"inspected_on": TODAY.isoformat(), "verdict": "suspect", "inspector_name": "高建国"})
    answer = sync.sync_record(actor=town_user, payload=bad)
    assert answer["status"] == "rejected" and "须勾选存在隐患的部位" in answer["errors"]["risk_parts"]
    assert (
        sync.sync_record(actor=town_user, payload=payload(household, uid="not-a-uuid"))["errors"]["uid"] == "记录编号格式不正确。"
    )
    assert "管辖范围" in sync.sync_record(actor=neighbour_user, payload=payload(household))["errors"]["household"]
    assert sync.sync_record(actor=town_user, payload=payload(household))["status"] == "created"
    assert Inspection.objects.count() == 1


def test_server_change_meanwhile_keeps_both_versions_until_the_town_decides(
    town_user: Any, county_user: Any, household: Any
) -> None:
    house = household.houses.get()
    p = payload(household, house_changes={"structure_type": "brick_concrete", "floor_area": "88.5"})
    save_house(actor=county_user, household=household, house=house, values={"floor_area": Decimal("70")}, version=house.version)
    answer = sync.sync_record(actor=town_user, payload=p)
    assert answer["status"] == "created" and "房屋信息在您下载后已被修改" in answer["conflict"]
    house.refresh_from_db()
    assert (house.structure_type, house.floor_area) == ("cave_stone", Decimal("70"))  # nothing overwritten
    conflict = Conflict.objects.get()
    assert conflict.field_version["house_changes"] == {"structure_type": "brick_concrete", "floor_area": "88.5"}
    assert conflict.server_version["house"]["floor_area"] == "70.00"
    sync.resolve_conflict(actor=county_user, conflict=conflict, keep="kept_field", note="现场核实为砖混结构")
    house.refresh_from_db()
    assert (house.structure_type, house.floor_area) == ("brick_concrete", Decimal("88.5"))
    with pytest.raises(Exception, match="已由他人处理"):
        sync.resolve_conflict(actor=county_user, conflict=conflict, keep="kept_server", note="")


def test_two_workers_on_the_same_house(town_user: Any, household: Any) -> None:
    other = make_user("sd_village", "610826100201", Role.VILLAGE_CADRE)
    assert sync.sync_record(actor=other, payload=payload(household))["status"] == "created"
    mine = sync.sync_record(
        actor=town_user,
        payload=payload(
            household,
            data={
                "inspected_on": TODAY.isoformat(),
                "verdict": "suspect",
                "risk_parts": ["walls"],
                "measure": "appraise",
                "inspector_name": "高建国",
            },
        ),
    )
    assert mine["status"] == "created" and "已有他人" in mine["conflict"]
    assert Inspection.objects.count() == 2 and Conflict.objects.get().worker == town_user


def test_house_changes_apply_when_nothing_changed_meanwhile(town_user: Any, household: Any) -> None:
    answer = sync.sync_record(actor=town_user, payload=payload(household, house_changes={"storeys": 2}))
    assert answer["conflict"] == ""
    assert household.houses.get().storeys == 2


def test_evidence_is_checked_and_flagged(town_user: Any, household: Any) -> None:
    now = timezone.now()
    far = payload(household, seq=5, gps={"latitude": "37.520000", "longitude": "110.250000", "mock": True})
    assert len(sync.sync_record(actor=town_user, payload=far)["flags"]) == 2
    earlier = payload(household, seq=6, captured_at=(now - dt.timedelta(days=3)).isoformat())
    future = payload(household, seq=7, captured_at=(now + dt.timedelta(days=1)).isoformat())
    assert "早于第 5 条" in sync.sync_record(actor=town_user, payload=earlier)["flags"][0]
    assert "晚于服务器时间" in sync.sync_record(actor=town_user, payload=future)["flags"][0]
    kinds = sorted(EvidenceFlag.objects.values_list("kind", flat=True))
    assert kinds == ["far", "future", "mock_location", "out_of_order"]
    assert "约 2,2" in EvidenceFlag.objects.get(kind="far").detail  # about 2.2 km


def upload(actor: Any, photo: Photo, content: bytes, piece: int = 4096) -> Photo:
    for offset in range(0, len(content), piece):
        photo = sync.append_chunk(actor=actor, photo=photo, offset=offset, data=content[offset : offset + piece])
    return photo


def test_photo_after_its_record_resumes_and_is_checked(town_user: Any, household: Any, county_user: Any) -> None:
    p = payload(household)
    content = sample_jpeg("overview", (160, 120))  # a real photo: it is decoded and re-encoded on completion
    meta = {
        "uid": str(uuid.uuid4()),
        "record_kind": "inspection",
        "record_uid": p["uid"],
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "taken_at": timezone.now().isoformat(),
        "part": "overview",
    }
    with pytest.raises(Exception, match="请先同步"):
        sync.declare_photo(actor=town_user, meta=meta)  # text first, photos after
    sync.sync_record(actor=town_user, payload=p)
    photo = sync.declare_photo(actor=town_user, meta=meta)
    assert sync.declare_photo(actor=town_user, meta=meta).pk == photo.pk
    photo = sync.append_chunk(actor=town_user, photo=photo, offset=0, data=content[:3000])
    with pytest.raises(sync.OffsetMismatch) as cut:  # the connection dropped; the phone resends from its own idea
        sync.append_chunk(actor=town_user, photo=photo, offset=0, data=content[:5000])
    assert cut.value.received == 3000
    photo = sync.append_chunk(actor=town_user, photo=photo, offset=3000, data=content[3000:])
    assert photo.complete and photo.sha256 == meta["sha256"] and photo.content_type == "image/jpeg"
    assert photo.file.read(3) == b"\xff\xd8\xff" and describe(Path(photo.file.path))["width"] == 160
    # the same picture for another household is flagged
    other = add_household(county_user, head_id=make_id(seq=321), name="白海林")
    q = payload(other)
    sync.sync_record(actor=town_user, payload=q)
    twin = sync.declare_photo(actor=town_user, meta=meta | {"uid": str(uuid.uuid4()), "record_uid": q["uid"]})
    upload(town_user, twin, content)
    flag = EvidenceFlag.objects.get(kind="duplicate_photo")
    assert flag.household == other and "郝建国户" in flag.detail


def test_a_corrupt_photo_starts_again(town_user: Any, household: Any) -> None:
    p = payload(household)
    sync.sync_record(actor=town_user, payload=p)
    content = sample_jpeg("corrupt")
    photo = sync.declare_photo(
        actor=town_user,
        meta={
            "uid": str(uuid.uuid4()),
            "record_kind": "inspection",
            "record_uid": p["uid"],
            "size": len(content),
            "sha256": "0" * 64,
        },
    )
    with pytest.raises(Exception, match="校验失败"):
        upload(town_user, photo, content)
    photo.refresh_from_db()
    assert photo.received == 0 and not photo.complete


def test_the_api_end_to_end_with_a_token(town_user: Any, household: Any) -> None:
    client = Client()
    token = client.post("/api/auth/token/", {"username": "sd_town", "password": PASSWORD}).json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    villages = client.get("/api/field/villages/", **auth).json()["villages"]
    assert [v["households"] for v in villages] == [1]
    data = client.get(f"/api/field/households/?village={villages[0]['code']}", **auth).json()
    assert data["households"][0]["houses"][0]["latitude"] == "37.500000"
    p = payload(household)
    batch = {"records": [p, p]}
    answers = client.post("/api/field/sync/", batch, content_type="application/json", **auth).json()["results"]
    assert [a["status"] for a in answers] == ["created", "exists"]
    content = sample_jpeg("api", (200, 150))
    half = len(content) // 2
    meta = {"uid": str(uuid.uuid4()), "record_kind": "inspection", "record_uid": p["uid"], "size": len(content)}
    assert client.post("/api/field/photos/", meta, content_type="application/json", **auth).status_code == 201
    url = f"/api/field/photos/{meta['uid']}/"
    put = client.put(f"{url}?offset=0", content[:half], content_type="application/octet-stream", **auth)
    assert put.json()["received"] == half
    wrong = client.put(f"{url}?offset=0", content[:half], content_type="application/octet-stream", **auth)
    assert wrong.status_code == 409 and wrong.json()["received"] == half
    done = client.put(f"{url}?offset={half}", content[half:], content_type="application/octet-stream", **auth).json()
    assert done["complete"] and client.get(url, **auth).json()["received"] == len(content)
    assert client.get("/api/field/config/", **auth).json()["user"]["can_inspect"] is True
    assert client.get("/api/field/households/?village=610827101200", **auth).status_code == 400  # the next county's village
