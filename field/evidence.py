"""The server's checks on evidence from the field (domain 8.8): where and when it was captured, and
whether a photo was reused. Each check returns flags to store; none refuses the record, because the
town decides (the flags are listed for its review).

Every photo, from the field app or a web form, passes through `photo_findings` when it completes, and
is classed by what stands behind its time and place (`classify`, ADR 0026): the field app's declared
fix and time, only the picture's EXIF (read by `read_exif`, kept as data), or nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from field.models import DeviceClock, EvidenceClass, FlagKind, Photo

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


# --- EXIF and the photo's class ---------------------------------------------------------------------

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATE_TAGS = ((EXIF_IFD, 0x9003, 0x9011), (EXIF_IFD, 0x9004, 0x9012), (None, 0x0132, 0x9010))  # original, digitized, file


@dataclass(frozen=True)
class ExifFacts:
    taken_at: dt.datetime | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


def _exif_time(text: Any, offset: Any) -> dt.datetime | None:
    try:
        moment = dt.datetime.strptime(str(text).strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    try:
        sign, hours, minutes = str(offset)[0], int(str(offset)[1:3]), int(str(offset)[4:6])
        zone: dt.tzinfo = dt.timezone((-1 if sign == "-" else 1) * dt.timedelta(hours=hours, minutes=minutes))
    except (ValueError, IndexError):
        zone = timezone.get_current_timezone()  # no offset: the camera's local time, taken as the deployment's
    return moment.replace(tzinfo=zone)


def _degrees(value: Any, ref: Any, limit: int) -> Decimal | None:
    try:
        d, m, s = (float(x) for x in value)
        degrees = d + m / 60 + s / 3600
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not math.isfinite(degrees) or not 0 <= degrees <= limit:
        return None
    sign = -1 if str(ref).strip("\x00 ").upper() in ("S", "W") else 1
    return Decimal(str(round(sign * degrees, 6))).quantize(Decimal("0.000001"))


def read_exif(path: Path) -> ExifFacts:
    """The capture time (DateTimeOriginal, else Digitized, else DateTime) and GPS fix the picture's EXIF claims."""
    try:
        with Image.open(path) as image:
            exif = image.getexif()
            taken = None
            for ifd, tag, offset_tag in DATE_TAGS:
                block = exif.get_ifd(ifd) if ifd else exif
                if tag in block:
                    offset = block.get(offset_tag) if ifd else exif.get_ifd(EXIF_IFD).get(offset_tag)
                    if (taken := _exif_time(block[tag], offset)) is not None:
                        break
            gps = exif.get_ifd(GPS_IFD)
            lat = _degrees(gps.get(2), gps.get(1), 90) if 2 in gps else None
            lng = _degrees(gps.get(4), gps.get(3), 180) if 4 in gps else None
    except Exception:  # a broken EXIF block says nothing; the picture itself was verified already
        return ExifFacts()
    return ExifFacts(taken, lat, lng) if lat is not None and lng is not None else ExifFacts(taken)


def classify(photo: Photo) -> str:
    """FIELD only for a fix and a time declared through the sync protocol (not a reported mock); EXIF is never that."""
    if photo.latitude is not None and photo.longitude is not None and photo.taken_at is not None and not photo.mock_location:
        return EvidenceClass.FIELD
    if photo.exif_taken_at is not None or photo.exif_latitude is not None:
        return EvidenceClass.EXIF
    return EvidenceClass.NONE


def photo_findings(
    photo: Photo, house_point: tuple[Decimal | None, Decimal | None], record_captured: dt.datetime | None, now: dt.datetime
) -> list[Finding]:
    """The checks every completed photo gets, whichever way it came (field app, API or web form)."""
    point: tuple[Decimal | None, Decimal | None]
    if photo.latitude is not None and photo.longitude is not None:
        what, point = _("照片"), (photo.latitude, photo.longitude)
    else:
        what, point = _("照片（EXIF）"), (photo.exif_latitude, photo.exif_longitude)
    taken = photo.taken_at or photo.exif_taken_at
    return [
        *check_photo_time(taken, record_captured, now),
        *check_place(what, point, house_point, photo.mock_location),
        *check_duplicate(photo),
    ]
