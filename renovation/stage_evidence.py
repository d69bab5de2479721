"""What a construction stage needs as photo evidence (issue 12, ADR 0026): one rule, called by the
transition (`services._stage_checks`), so the page, the API and anything else that moves a case meet it.

A stage (开工 施工前, 主体完工 施工中, 竣工 竣工后) needs at least one *located* photo of its part:
located and timed by the field app (class FIELD; EXIF alone never counts), with no open or confirmed
flag that its fix is far from the house or mocked, its time in the future, or its content reused for
another house; and taken after the previous step was entered on the server (`CaseEvent.at`) and not
before its effective date — after a construction stage, on a later day than that stage. Otherwise a
town reviewer's recorded override (`field.EvidenceOverride`) with its reason lets the stage go on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

# The photo part each construction step needs, and its name (the part keys the field app and the page send).
STAGE_PARTS = {"start": "before", "structure_done": "during", "complete": "after"}
PART_LABELS = {"before": "施工前", "during": "施工中", "after": "竣工后"}
CONSTRUCTION_STEPS = frozenset(STAGE_PARTS)
# A flag on a photo that stops it counting, unless the town has reviewed it as unfounded (dismissed).
DISQUALIFYING_FLAGS = ("far", "mock_location", "future", "duplicate_photo")
FUTURE_TOLERANCE = dt.timedelta(minutes=10)


def _previous_step(case: Any) -> Any:
    """The step that brought the case into its current state (the latest event that moved it there;
    holds and date corrections, which leave the state as it was, are not a step before)."""
    moves = case.events.filter(to_state=case.state).exclude(from_state=F("to_state"))
    return moves.order_by("-at", "-id").first()


def _earliest(previous: Any) -> tuple[dt.datetime | None, dt.date | None, bool]:
    """(entered at, the later of its effective date and its day of entry, whether the photo must be on a later day).

    The day of entry counts too, so a back-dated stage cannot make a photo taken the day it was entered
    look like one from a later day."""
    if previous is None:
        return None, None, False
    day = max(filter(None, (previous.effective_on, timezone.localtime(previous.at).date())))
    return previous.at, day, previous.action in CONSTRUCTION_STEPS


def located_photos(case: Any, part: str, now: dt.datetime | None = None) -> list[Any]:
    """The photos of `part` that count as located evidence for the stage after the case's current state."""
    from field.models import EvidenceClass, EvidenceFlag, Photo

    now = now or timezone.now()
    at, effective, later_day = _earliest(_previous_step(case))
    photos = Photo.objects.filter(record_uid=case.uid, part=part, completed_at__isnull=False, refused="").filter(
        evidence=EvidenceClass.FIELD, mock_location=False, taken_at__lte=now + FUTURE_TOLERANCE
    )
    flagged = EvidenceFlag.objects.filter(record_uid=case.uid, kind__in=DISQUALIFYING_FLAGS, status__in=("open", "confirmed"))
    photos = photos.exclude(pk__in=flagged.filter(photo__isnull=False).values("photo_id"))
    if at is not None:
        photos = photos.filter(taken_at__gt=at)
    out = []
    for p in photos.order_by("taken_at"):
        day = timezone.localtime(p.taken_at).date()
        if effective is not None and (day <= effective if later_day else day < effective):
            continue
        out.append(p)
    return out


def stage_refusal(case: Any, action: str, now: dt.datetime | None = None) -> str | None:
    """Why the case may not take construction step `action` for lack of photo evidence (None when it may)."""
    from field.models import EvidenceOverride, Photo

    part = STAGE_PARTS.get(action)
    if part is None:
        return None
    if located_photos(case, part, now):
        return None
    if EvidenceOverride.objects.filter(record_uid=case.uid, part=part).exists():
        return None
    label = PART_LABELS[part]
    uploaded = Photo.objects.filter(record_uid=case.uid, part=part, completed_at__isnull=False, refused="")
    if not uploaded.exists():
        return _("请先上传%(s)s照片（带时间和定位）。") % {"s": label}
    previous = _previous_step(case)
    since = ""
    if previous is not None:
        since = _("，且拍摄于上一步（%(t)s 录入，办理日期 %(d)s）之后%(day)s") % {
            "t": timezone.localtime(previous.at).strftime("%Y-%m-%d %H:%M"),
            "d": f"{previous.effective_on:%Y-%m-%d}" if previous.effective_on else "—",
            "day": _("的另一天") if previous.action in CONSTRUCTION_STEPS else "",
        }
    return _(
        "%(s)s照片中没有可作为施工证据的现场定位照片：须由现场采集App拍摄、带定位和时间、距房屋不超过允许距离%(since)s"
        "（网页上传的照片、截图或仅有EXIF信息的照片不能作为证据）。如确有特殊情况，请乡镇审核人员登记例外并写明理由。"
    ) % {"s": label, "since": since}
