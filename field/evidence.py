"""The server's checks on evidence from the field (domain 8.8): where and when it was captured, and
whether a photo was reused. Each check returns flags to store; none refuses the record, because the
town decides (the flags are listed for its review).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import F

from field.models import DeviceClock, FlagKind, Photo

FUTURE_TOLERANCE = dt.timedelta(minutes=10)  # phone clocks drift; beyond this a time "in the future" is flagged
PHOTO_BEFORE_RECORD = dt.timedelta(days=1)  # a photo taken more than a day before its record is out of order


def max_distance_m() -> int:
    """How far a GPS fix may lie from the house's registered point (settings.ANJU_EVIDENCE_DISTANCE_M)."""
    return int(getattr(settings, "ANJU_EVIDENCE_DISTANCE_M", 500))


@dataclass(frozen=True)
class Finding:
    kind: str
    detail: str


def distance_m(lat1: Decimal | float, lng1: Decimal | float, lat2: Decimal | float, lng2: Decimal | float) -> float:
    """Great-circle distance in metres (haversine on a 6,371 km sphere)."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lng2) - float(lng1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def check_place(
    what: str, point: tuple[Decimal | None, Decimal | None], house_point: tuple[Decimal | None, Decimal | None], mock: bool
) -> list[Finding]:
    found = []
    if mock:
        found.append(Finding(FlagKind.MOCK_LOCATION, f"{what}：设备报告使用了模拟定位"))
    if None not in point and None not in house_point:
        metres = distance_m(point[0], point[1], house_point[0], house_point[1])  # type: ignore[arg-type]
        limit = max_distance_m()
        if metres > limit:
            found.append(Finding(FlagKind.FAR, f"{what}：定位距房屋登记位置约 {metres:,.0f} 米（允许 {limit} 米）"))
    return found


def check_time(what: str, captured: dt.datetime | None, now: dt.datetime) -> list[Finding]:
    if captured is not None and captured > now + FUTURE_TOLERANCE:
        return [Finding(FlagKind.FUTURE, f"{what}：采集时间 {captured:%Y-%m-%d %H:%M} 晚于服务器时间 {now:%Y-%m-%d %H:%M}")]
    return []


def check_sequence(user_id: int, device: str, seq: int | None, captured: dt.datetime | None) -> list[Finding]:
    """Records of one device carry increasing numbers; a later number with an earlier time means the clock was set back."""
    if not device or seq is None or captured is None:
        return []
    clock, _created = DeviceClock.objects.select_for_update().get_or_create(user_id=user_id, device=device[:64])
    found = []
    if seq > clock.seq:
        if clock.captured_at is not None and captured < clock.captured_at:
            found.append(
                Finding(
                    FlagKind.OUT_OF_ORDER,
                    f"本设备第 {seq} 条记录的采集时间 {captured:%Y-%m-%d %H:%M} "
                    f"早于第 {clock.seq} 条的 {clock.captured_at:%Y-%m-%d %H:%M}",
                )
            )
        DeviceClock.objects.filter(pk=clock.pk).update(seq=seq, captured_at=captured)
    elif clock.captured_at is not None and captured > clock.captured_at:
        found.append(Finding(FlagKind.OUT_OF_ORDER, f"本设备第 {seq} 条记录晚于第 {clock.seq} 条采集，但编号更小"))
    return found


def check_photo_time(taken: dt.datetime | None, record_captured: dt.datetime | None, now: dt.datetime) -> list[Finding]:
    found = check_time("照片", taken, now)
    if taken is not None and record_captured is not None and taken < record_captured - PHOTO_BEFORE_RECORD:
        found.append(
            Finding(
                FlagKind.OUT_OF_ORDER,
                f"照片拍摄于 {taken:%Y-%m-%d %H:%M}，早于记录采集时间 {record_captured:%Y-%m-%d %H:%M} 一天以上",
            )
        )
    return found


def check_duplicate(photo: Photo) -> list[Finding]:
    """The same picture (by content hash) already sent for a different house."""
    others = (
        Photo.objects.filter(sha256=photo.sha256, completed_at__isnull=False)
        .exclude(pk=photo.pk)
        .exclude(household_id=photo.household_id)
        .select_related("household")
        .annotate(code=F("household__region_code"))
    )
    return [
        Finding(FlagKind.DUPLICATE_PHOTO, f"该照片与 {o.household.head_name}户（区划 {o.code}）的照片内容完全相同")
        for o in others[:3]
    ]
