"""Demo field syncs: a few records from a town worker's phone that the server flags or holds as
conflicts, so the town's review pages have something to review. Goes through the sync service."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import User
from field import sync
from field.models import Conflict, EvidenceFlag
from households.models import House
from households.services import save_house


def _point(house: House) -> tuple[Decimal, Decimal]:
    return house.latitude or Decimal("37.5"), house.longitude or Decimal("110.25")


def _payload(house: House, now: dt.datetime, seq: int, **kw: Any) -> dict[str, Any]:
    lat, lng = _point(house)
    base: dict[str, Any] = {
        "uid": str(uuid.uuid4()), "kind": "inspection", "household": house.household_id, "house": house.pk,
        "device": "demo-phone", "seq": seq, "captured_at": now.isoformat(),
        "downloaded_at": (now - dt.timedelta(hours=4)).isoformat(),
        "base": {"household_version": house.household.version, "house_version": house.version},
        "gps": {"latitude": str(lat + Decimal("0.0003")), "longitude": str(lng), "accuracy": 9},
        "data": {"inspected_on": now.date().isoformat(), "verdict": "safe", "inspector_name": "高建国",
                 "household_confirmed": True, "confirmed_by": "户主"},
    }  # fmt: skip
    base.update(kw)
    return base


def generate(town: str = "610826100") -> int:
    worker = User.objects.filter(username="sd_town").first()
    if worker is None or EvidenceFlag.objects.exists() or Conflict.objects.exists():
        return 0
    houses = list(House.objects.filter(region_code__startswith=town, is_dwelling=True).select_related("household")[:5])
    if len(houses) < 5:
        return 0
    now = timezone.now()
    far, mock = _point(houses[0]), _point(houses[1])
    examples = [
        _payload(houses[0], now, 1, gps={"latitude": str(far[0] + Decimal("0.03")), "longitude": str(far[1]), "accuracy": 12}),
        _payload(houses[1], now, 2, gps={"latitude": str(mock[0]), "longitude": str(mock[1]), "accuracy": 5, "mock": True}),
        _payload(houses[2], now, 4, captured_at=(now + dt.timedelta(days=2)).isoformat()),
        _payload(houses[3], now, 3, captured_at=(now - dt.timedelta(days=5)).isoformat()),
        _payload(houses[4], now, 5, house_changes={"storeys": 2, "floor_area": "96.5"}),
    ]
    # the county office corrects the same house while the worker is offline: the phone's change must wait
    office = User.objects.filter(username="sd_county").first() or worker
    save_house(actor=office, household=houses[4].household, house=houses[4], values={"roof_covering": "水泥瓦"},
               version=houses[4].version)  # fmt: skip
    return sum(sync.sync_record(actor=worker, payload=p)["status"] == "created" for p in examples)
