"""The field app's sync protocol on the server: records, then photos in resumable pieces.

* A record (inspection or appraisal) is stored once however often it is sent: its client UUID is
  the key, and a resend answers "exists" with the stored id.
* If the household changed on the server after the worker downloaded it (its version, its house's
  version, or someone else's inspection or appraisal since), the record is still stored (a check
  is a fact), but nothing of the archive is overwritten: a Conflict keeps both versions, and house
  facts changed on the phone wait there for the town's decision.
* Photos follow their record: declared with size and hash, sent in pieces at explicit offsets (a
  piece at the wrong offset is refused with the offset the server has, so the phone resumes there),
  checked against the declared hash when complete, then checked as evidence.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Cap
from audit.services import jsonable, record
from core import images, uploads
from core.errors import ConflictError, message_text, messages_of
from core.inputs import integer, items, mapping, no_nul
from field import evidence
from field.models import Conflict, ConflictStatus, EvidenceClass, EvidenceFlag, FlagStatus, Photo, RecordKind
from households.models import House, Household
from households.services import save_house
from households.writer import HOUSE_FIELDS
from inspections.models import Appraisal, Inspection
from inspections.services import AppraisalInput, InspectionInput, record_appraisal, record_inspection

MODELS: dict[str, type[Inspection] | type[Appraisal]] = {RecordKind.INSPECTION: Inspection, RecordKind.APPRAISAL: Appraisal}


def owner_model(kind: str) -> Any:
    """What a photo belongs to: an inspection, an appraisal or a renovation case (all keyed by `uid`)."""
    from django.apps import apps

    return apps.get_model("renovation", "Case") if kind == RecordKind.CASE else MODELS[kind]


def _uuid(value: Any, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise ValidationError({field: _("记录编号格式不正确。")}) from None


def _kind(value: Any) -> RecordKind:
    if value not in RecordKind.values:
        raise ValidationError({"kind": _("记录类型只能是排查（inspection）或鉴定（appraisal）。")})
    return RecordKind(value)


def _when(value: Any, field: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = parse_datetime(str(value))
    except ValueError:  # well formed but no such moment (month 13, hour 25)
        parsed = None
    if parsed is None:
        raise ValidationError({field: _("时间格式不正确（应为 ISO 8601）。")})
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, dt.UTC)


def _day(value: Any, field: str) -> dt.date:
    try:
        parsed = parse_date(str(value or ""))
    except ValueError:  # well formed but no such day (2026-02-30)
        parsed = None
    if parsed is None:
        raise ValidationError({field: _("日期格式不正确（应为 YYYY-MM-DD）。")})
    return parsed


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
        if not number.is_finite() or abs(number) > 180:  # the model's digits; the services check the range
            raise InvalidOperation
        return number.quantize(Decimal("0.000001"))
    except InvalidOperation:
        raise ValidationError({"gps": _("经纬度格式不正确。")}) from None


@dataclass
class Gps:
    latitude: Decimal | None
    longitude: Decimal | None
    accuracy_m: int | None
    mock: bool

    @classmethod
    def of(cls, raw: dict[str, Any] | None) -> Gps:
        raw = mapping(raw, "gps")
        accuracy = raw.get("accuracy")
        if isinstance(accuracy, float) and accuracy == accuracy and abs(accuracy) < 1e9:
            accuracy = round(accuracy)  # phones report metres with decimals
        return cls(
            _decimal(raw.get("latitude")),
            _decimal(raw.get("longitude")),
            integer(accuracy, "gps", low=0, high=2**31 - 1),
            bool(raw.get("mock")),
        )


def inspection_input(
    p: dict[str, Any], household: Household, gps: Gps, captured: dt.datetime | None, source: str = "field"
) -> InspectionInput:
    """An inspection from a record's `data` (the field app's and the API's shape)."""
    d = mapping(p.get("data"), "data")
    return InspectionInput(
        household_id=household.pk,
        house_id=integer(p.get("house"), "house"),
        uid=_uuid(p.get("uid"), "uid"),
        inspected_on=_day(d.get("inspected_on"), "inspected_on"),
        verdict=str(d.get("verdict", "")),
        campaign_id=integer(d.get("campaign"), "campaign"),
        inspector_name=str(d.get("inspector_name", "")),
        risk_parts=[str(x) for x in items(d.get("risk_parts"), "risk_parts")],
        measure=str(d.get("measure") or ""),
        answers={str(k): str(v) for k, v in mapping(d.get("answers"), "answers").items()},
        household_confirmed=bool(d.get("household_confirmed")),
        confirmed_by=str(d.get("confirmed_by") or ""),
        note=str(d.get("note") or ""),
        latitude=gps.latitude,
        longitude=gps.longitude,
        accuracy_m=gps.accuracy_m,
        mock_location=gps.mock,
        source=source,
        captured_at=captured,
    )


def appraisal_input(p: dict[str, Any], gps: Gps, captured: dt.datetime | None, source: str = "field") -> AppraisalInput:
    """An appraisal from a record's `data` (the field app's and the API's shape)."""
    d = mapping(p.get("data"), "data")
    house_id = integer(p.get("house"), "house", low=1)
    if not house_id:
        raise ValidationError({"house": _("鉴定须指明房屋。")})
    return AppraisalInput(
        house_id=house_id,
        uid=_uuid(p.get("uid"), "uid"),
        appraised_on=_day(d.get("appraised_on"), "appraised_on"),
        components={str(k): (str(v) if v else None) for k, v in mapping(d.get("components"), "components").items()},
        prevention=str(d.get("prevention", "")),
        appraiser_ids=[i for x in items(d.get("appraisers"), "appraisers") if (i := integer(x, "appraisers", low=1))],
        organisation=str(d.get("organisation") or ""),
        site_dangerous=bool(d.get("site_dangerous")),
        site_note=str(d.get("site_note") or ""),
        raised_to=str(d.get("raised_to") or ""),
        raise_reason=str(d.get("raise_reason") or ""),
        conclusion=str(d.get("conclusion") or ""),
        component_notes={str(k): str(v)[:500] for k, v in mapping(d.get("component_notes"), "component_notes").items() if v},
        latitude=gps.latitude,
        longitude=gps.longitude,
        accuracy_m=gps.accuracy_m,
        mock_location=gps.mock,
        source=source,
        captured_at=captured,
    )


def _house_view(house: House | None) -> dict[str, Any]:
    return {f: jsonable(getattr(house, f)) for f in HOUSE_FIELDS} | {"version": house.version} if house else {}


def _changed_since(actor: User, household: Household, house: House | None, p: dict[str, Any]) -> list[str]:
    """What happened to this household on the server after the worker downloaded it."""
    base = mapping(p.get("base"), "base")
    reasons = []
    if base.get("household_version") and integer(base["household_version"], "base") != household.version:
        reasons.append(_("农户信息在您下载后已被修改"))
    if house is not None and base.get("house_version") and integer(base["house_version"], "base") != house.version:
        reasons.append(_("房屋信息在您下载后已被修改"))
    downloaded = _when(p.get("downloaded_at"), "downloaded_at")
    if downloaded is not None:
        for model, who, what in ((Inspection, "inspector", _("排查")), (Appraisal, "recorded_by", _("鉴定"))):
            later = model.objects.filter(household=household, created_at__gt=downloaded).exclude(**{f"{who}_id": actor.pk})
            for other in later.order_by("created_at")[:3]:
                reasons.append(
                    _("您下载数据后，该户已有他人于 %(t)s 录入的%(w)s记录")
                    % {"t": timezone.localtime(other.created_at).strftime("%Y-%m-%d %H:%M"), "w": what}
                )
    return reasons


def _server_version(household: Household, house: House | None) -> dict[str, Any]:
    recent = [
        {
            "kind": "inspection",
            "uid": str(i.uid),
            "date": i.inspected_on.isoformat(),
            "verdict": i.get_verdict_display(),
            "by": i.inspector_name,
        }
        for i in Inspection.objects.filter(household=household).order_by("-created_at")[:3]
    ] + [
        {"kind": "appraisal", "uid": str(a.uid), "date": a.appraised_on.isoformat(), "grade": a.grade}
        for a in Appraisal.objects.filter(household=household).order_by("-created_at")[:3]
    ]
    return {"household_version": household.version, "house": _house_view(house), "records": recent}


def sync_record(*, actor: User, payload: dict[str, Any], now: dt.datetime | None = None) -> dict[str, Any]:
    """Store one record from the outbox; the answer tells the phone what became of it."""
    now = now or timezone.now()
    raw_uid = payload.get("uid")
    try:
        no_nul(payload, "__all__")
        kind = _kind(payload.get("kind"))
        uid = _uuid(raw_uid, "uid")
        stored = MODELS[kind].objects.filter(uid=uid).first()
        if stored is not None:
            if not actor.covers(stored.region_code):
                raise PermissionDenied(_("该记录不在您的管辖范围内。"))
            return {"uid": str(uid), "status": "exists", "id": stored.pk}
        household_id = integer(payload.get("household"), "household", low=1)
        household = Household.objects.restrict(actor, "view").filter(pk=household_id).first() if household_id else None
        if household is None:
            raise ValidationError({"household": _("找不到该农户，或不在您的管辖范围内。")})
        house_id = integer(payload.get("house"), "house", low=1)
        house = household.houses.filter(pk=house_id).first() if house_id else None
        gps, captured = Gps.of(payload.get("gps")), _when(payload.get("captured_at"), "captured_at")
        with transaction.atomic():
            reasons = _changed_since(actor, household, house, payload)
            if kind == RecordKind.INSPECTION:
                obj: Inspection | Appraisal = record_inspection(
                    actor=actor, data=inspection_input(payload, household, gps, captured)
                )[0]
            else:
                obj = record_appraisal(actor=actor, data=appraisal_input(payload, gps, captured))[0]
            house = house or obj.house
            findings = _record_findings(actor, payload, obj, house, gps, captured, now)
            changes = {k: v for k, v in mapping(payload.get("house_changes"), "house_changes").items() if k in HOUSE_FIELDS}
            if changes and not reasons:
                reasons = _apply_house_changes(actor, household, house, changes, payload)
            conflict = None
            if reasons:
                conflict = Conflict.objects.create(
                    household=household,
                    house=house,
                    region_code=household.region_code,
                    record_kind=kind,
                    record_uid=uid,
                    worker=actor,
                    reason="；".join(reasons)[:300],
                    field_version={
                        "record": jsonable(payload.get("data") or {}),
                        "house_changes": jsonable(changes),
                        "base": payload.get("base") or {},
                        "captured_at": payload.get("captured_at"),
                    },
                    server_version=_server_version(household, house),
                )
                record(
                    "field.conflict",
                    actor=actor,
                    obj=conflict,
                    region_code=household.region_code,
                    object_label=f"{household.head_name}户",
                    after={"reason": conflict.reason, "uid": str(uid)},
                )
            store_flags(findings, actor=actor, household=household, house=house, kind=kind, uid=uid)
    except (ValidationError, PermissionDenied, ValueError) as exc:
        return {"uid": str(raw_uid), "status": "rejected", "errors": _old_form_hint(payload, messages_of(exc))}
    return {
        "uid": str(uid),
        "status": "created",
        "id": obj.pk,
        "conflict": conflict.reason if conflict else "",
        "flags": [f.detail for f in findings],
        **({"grade": obj.grade} if isinstance(obj, Appraisal) else {}),
    }


def _old_form_hint(payload: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    """A field app older than ADR 0031 sends a blank for its "不适用 / 无此构件": the refusal says how to answer now."""
    data = payload.get("data")
    sent = data.get("components") if isinstance(data, dict) else None
    if "components" in errors and isinstance(sent, dict) and any(v is None or v == "" for v in sent.values()):
        errors["components"] += _(
            "（旧版现场应用把“不适用 / 无此构件”记为空白：请联网刷新现场应用后重新填写此鉴定，房屋没有的构件选“无此构件”）"
        )
    return errors


def _record_findings(
    actor: User,
    payload: dict[str, Any],
    obj: Inspection | Appraisal,
    house: House | None,
    gps: Gps,
    captured: dt.datetime | None,
    now: dt.datetime,
) -> list[evidence.Finding]:
    what = _("排查记录") if isinstance(obj, Inspection) else _("鉴定记录")
    home = (house.latitude, house.longitude) if house else (None, None)
    seq = integer(payload.get("seq"), "seq", low=0)
    return [
        *evidence.check_place(what, (gps.latitude, gps.longitude), home, gps.mock),
        *evidence.check_time(what, captured, now),
        *evidence.check_sequence(actor.pk, str(payload.get("device") or ""), seq, captured),
    ]


def _apply_house_changes(
    actor: User, household: Household, house: House | None, changes: dict[str, Any], payload: dict[str, Any]
) -> list[str]:
    """Apply house facts changed on the phone; a reason to keep them as a conflict instead, if they cannot be."""
    if house is None:
        return [_("现场修改的房屋信息找不到对应房屋")]
    if not actor.can(Cap.EDIT_ARCHIVE):
        return [_("您无权修改房屋信息，现场修改的内容请乡镇核定")]
    version = integer(mapping(payload.get("base"), "base").get("house_version"), "base") or house.version
    try:
        with transaction.atomic():
            save_house(actor=actor, household=household, house=house, values=changes, version=int(version))
    except ConflictError:
        return [_("房屋信息在您下载后已被修改")]
    except ValidationError as exc:
        return [_("现场修改的房屋信息未通过校验：%(e)s") % {"e": message_text(exc)}]
    return []


def store_flags(
    findings: list[evidence.Finding],
    *,
    actor: User,
    household: Household,
    house: House | None,
    kind: str,
    uid: uuid.UUID,
    photo: Photo | None = None,
) -> None:
    EvidenceFlag.objects.bulk_create(
        [
            EvidenceFlag(
                kind=f.kind,
                household=household,
                house=house,
                region_code=household.region_code,
                record_kind=kind,
                record_uid=uid,
                photo=photo,
                detail=f.detail[:300],
                worker=actor,
            )
            for f in findings
        ]
    )


# --- photos ---------------------------------------------------------------------------------------
# A photo is declared, sent in pieces (each spooled to disk with a cap, never held whole in memory),
# and, with its last piece, checked against the declared hash and decoded and re-encoded as a JPEG
# (core.images) before it counts as complete: what is stored and served is never what the client
# sent. A picture that does not decode is refused for good (`Photo.refused`), audited, not served.


class OffsetMismatch(Exception):
    def __init__(self, received: int) -> None:
        super().__init__(received)
        self.received = received


def declare_photo(*, actor: User, meta: dict[str, Any]) -> Photo:
    """Announce a photo of a synced record (idempotent by the photo's uid). The type the client states is ignored."""
    uid = _uuid(meta.get("uid"), "uid")
    existing = Photo.objects.filter(uid=uid).first()
    if existing is not None:
        if not actor.covers(existing.region_code):
            raise PermissionDenied(_("该照片不在您的管辖范围内。"))
        return existing
    kind = _kind(meta.get("record_kind"))
    record_uid = _uuid(meta.get("record_uid"), "record_uid")
    owner = owner_model(kind).objects.filter(uid=record_uid).first()
    if owner is None or not actor.covers(owner.region_code):
        raise ValidationError({"record_uid": _("请先同步这张照片所属的记录，再上传照片。")})
    try:
        size = int(meta.get("size") or 0)
    except (TypeError, ValueError):
        size = 0
    limit = uploads.max_photo_bytes()
    if not 0 < size <= limit:
        raise ValidationError(
            {"size": _("照片大小应在 1 字节到 %(mb)d MB 之间，请压缩后再上传（手机端会自动压缩）。") % {"mb": limit // (1 << 20)}}
        )
    digest = str(meta.get("sha256") or "").lower()
    if digest and (len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest)):
        raise ValidationError({"sha256": _("照片校验值格式不正确。")})
    gps = Gps.of(meta.get("gps"))
    return Photo.objects.create(
        uid=uid,
        record_kind=kind,
        record_uid=record_uid,
        household_id=owner.household_id,
        house_id=owner.house_id,
        region_code=owner.region_code,
        part=str(meta.get("part") or "")[:20],
        size=size,
        sha256=digest,
        content_type="",  # set to the verified type when the photo completes
        taken_at=_when(meta.get("taken_at"), "taken_at"),
        latitude=gps.latitude,
        longitude=gps.longitude,
        accuracy_m=gps.accuracy_m,
        mock_location=gps.mock,
        uploaded_by=actor,
    )


def attach_upload(
    *,
    actor: User,
    kind: str,
    record_uid: uuid.UUID,
    part: str,
    data: bytes | UploadedFile,
    capture: dict[str, Any] | None = None,
) -> Photo:
    """A photo uploaded whole: the same declaration, checks and evidence flags as the field app's pieces.

    Web forms pass no `capture`, so their photos are classed by EXIF at most; `capture` ({"taken_at", "gps"})
    is the field app's declaration, for the demo and tests that stand in for the app."""
    limit = uploads.max_photo_bytes()
    if isinstance(data, bytes):
        spooled = uploads.spool(data, limit, uploads.too_large_message(limit))
    else:
        spooled = uploads.save_upload(data, uploads.temp_path(".part"), limit)
    try:
        size, digest = spooled.stat().st_size, _sha256(spooled)
        meta = {"uid": str(uuid.uuid4()), "record_kind": kind, "record_uid": str(record_uid), "part": part, "size": size,
                "sha256": digest, **(capture or {})}  # fmt: skip
        photo = declare_photo(actor=actor, meta=meta)
        with spooled.open("rb") as content:
            return append_chunk(actor=actor, photo=photo, offset=0, data=content)
    finally:
        spooled.unlink(missing_ok=True)


def upload_notes(photo: Photo, stage: bool = False) -> list[str]:
    """What a web form tells the uploader about a kept photo: its flags and, for a construction stage, a missing fix."""
    notes = [] if photo.evidence == EvidenceClass.FIELD or not stage else [
        _("未经现场采集App定位（%(c)s），不能作为施工节点的定位证据") % {"c": EvidenceClass(photo.evidence).label}
    ]  # fmt: skip
    return notes + [f.detail for f in photo.flags.all()]


def field_capture(house: House | None, when: dt.datetime | None = None) -> dict[str, Any]:
    """A declaration as the field app makes it (a fix at the house, the capture time), for the demo and tests."""
    lat = house.latitude if house and house.latitude is not None else Decimal("37.5")
    lng = house.longitude if house and house.longitude is not None else Decimal("110.25")
    return {"taken_at": (when or timezone.now()).isoformat(), "gps": {"latitude": str(lat), "longitude": str(lng), "accuracy": 8}}


def _partial(photo: Photo) -> Path:
    path = Path(settings.MEDIA_ROOT) / "partial" / f"{photo.uid}.part"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for piece in iter(lambda: fh.read(uploads.PIECE), b""):
            digest.update(piece)
    return digest.hexdigest()


def _assemble(photo: Photo, offset: int, piece: Path) -> Path:
    """The whole photo as it will be with this last piece: what came before (the partial file) and the piece."""
    whole = uploads.temp_path(".whole")
    with whole.open("wb") as out:
        partial = _partial(photo)
        if offset and partial.exists():
            with partial.open("rb") as before:
                shutil.copyfileobj(before, out, uploads.PIECE)
            out.truncate(offset)
            out.seek(offset)
        with piece.open("rb") as last:
            shutil.copyfileobj(last, out, uploads.PIECE)
    return whole


def _check_current(photo: Photo, offset: int) -> bool:
    """False when the photo is already complete; raises when it was refused or the offset is not the server's."""
    if photo.refused:
        raise ValidationError({"file": photo.refused})
    if photo.complete:
        return False
    if offset != photo.received:
        raise OffsetMismatch(photo.received)
    return True


def append_chunk(*, actor: User, photo: Photo, offset: int, data: bytes | IO[bytes], now: dt.datetime | None = None) -> Photo:
    """Write a piece at `offset`; the photo completes (hash checked, decoded, re-encoded) when its last byte arrives."""
    if not actor.covers(photo.region_code):
        raise PermissionDenied(_("该照片不在您的管辖范围内。"))
    current = Photo.objects.get(pk=photo.pk)
    if not _check_current(current, offset):
        return current
    piece = uploads.spool(data, current.size - offset, _("上传的内容超过了声明的照片大小。"))
    whole: Path | None = None
    try:
        length = piece.stat().st_size
        if offset + length == current.size:
            whole = _assemble(current, offset, piece)
            return _complete(actor, current, offset, whole, now or timezone.now())
        with transaction.atomic():
            locked = Photo.objects.select_for_update().get(pk=photo.pk)
            if not _check_current(locked, offset):
                return locked
            path = _partial(locked)
            with path.open("r+b" if path.exists() else "wb") as out, piece.open("rb") as src:
                out.seek(offset)
                shutil.copyfileobj(src, out, uploads.PIECE)
                out.truncate()
            locked.received += length
            locked.save(update_fields=["received"])
        return locked
    finally:
        piece.unlink(missing_ok=True)
        if whole is not None:
            whole.unlink(missing_ok=True)


def _complete(actor: User, photo: Photo, offset: int, whole: Path, now: dt.datetime) -> Photo:
    """Check the assembled photo (outside any lock: decoding takes time), then keep it in one transaction."""
    digest = _sha256(whole)
    if photo.sha256 and digest != photo.sha256:
        with transaction.atomic():
            pending = Photo.objects.select_for_update().filter(pk=photo.pk, received=offset, completed_at__isnull=True)
            if pending.update(received=0):
                _partial(photo).unlink(missing_ok=True)  # start again from the first byte
        raise ValidationError({"sha256": _("照片内容校验失败（传输中损坏），请重新上传。")})
    with uploads.temporary(".jpg") as clean:
        try:
            verified = images.verify_photo(whole, clean)
        except ValidationError as exc:
            _refuse(actor, photo, offset, digest, message_text(exc))
            raise
        exif = evidence.read_exif(clean)  # the EXIF verify_photo carried over (time, GPS), read from Pillow's own bytes
        with transaction.atomic():
            locked = Photo.objects.select_for_update().get(pk=photo.pk)
            if not _check_current(locked, offset):
                return locked
            with clean.open("rb") as content:
                locked.file.save(f"{locked.uid}.jpg", File(content), save=False)
            locked.received, locked.sha256, locked.completed_at = locked.size, digest, now
            locked.content_type = verified.content_type
            locked.exif_taken_at, locked.exif_latitude, locked.exif_longitude = exif.taken_at, exif.latitude, exif.longitude
            locked.evidence = evidence.classify(locked)
            locked.save(update_fields=["file", "received", "sha256", "content_type", "completed_at", *EVIDENCE_FIELDS])
            _photo_findings(actor, locked, now)
    _partial(photo).unlink(missing_ok=True)
    return locked


def _refuse(actor: User, photo: Photo, offset: int, digest: str, reason: str) -> None:
    """A photo that is not a picture: refused for good (not served, not resumable), the attempt audited."""
    with transaction.atomic():
        locked = Photo.objects.select_for_update().get(pk=photo.pk)
        if locked.complete or locked.refused or locked.received != offset:
            return
        locked.refused, locked.sha256, locked.received = reason[:200], digest, 0
        locked.save(update_fields=["refused", "sha256", "received"])
        record(
            "field.photo_refused",
            actor=actor,
            obj=locked,
            region_code=locked.region_code,
            object_label=_("现场照片"),
            after={"uid": str(locked.uid), "reason": locked.refused, "sha256": digest, "size": locked.size},
        )
    _partial(photo).unlink(missing_ok=True)


EVIDENCE_FIELDS = ("exif_taken_at", "exif_latitude", "exif_longitude", "evidence")


def _photo_findings(actor: User, photo: Photo, now: dt.datetime) -> None:
    owner = owner_model(photo.record_kind).objects.filter(uid=photo.record_uid).first()
    house = House.objects.filter(pk=photo.house_id).first() if photo.house_id else None
    home = (house.latitude, house.longitude) if house else (None, None)
    findings = evidence.photo_findings(photo, home, getattr(owner, "captured_at", None), now)
    store_flags(
        findings, actor=actor, household=photo.household, house=house, kind=photo.record_kind, uid=photo.record_uid, photo=photo
    )


def resolve_conflict(*, actor: User, conflict: Conflict, keep: str, note: str) -> Conflict:
    """The town decides: keep the server's version, or apply what the worker changed on the phone."""
    if not actor.can(Cap.EDIT_ARCHIVE) or not actor.covers(conflict.region_code):
        raise PermissionDenied(_("您无权处理该冲突。"))
    if keep not in (ConflictStatus.KEPT_FIELD, ConflictStatus.KEPT_SERVER):
        raise ValidationError({"keep": _("请选择采用哪个版本。")})
    with transaction.atomic():
        locked = Conflict.objects.select_for_update().get(pk=conflict.pk)
        if locked.status != ConflictStatus.OPEN:
            raise ValidationError(_("该冲突已由他人处理。"))
        changes = (locked.field_version or {}).get("house_changes") or {}
        if keep == ConflictStatus.KEPT_FIELD and changes and locked.house is not None:
            save_house(actor=actor, household=locked.household, house=locked.house, values=changes, version=locked.house.version)
        locked.status, locked.note = keep, note.strip()[:300]
        locked.resolved_by, locked.resolved_at = actor, timezone.now()
        locked.save(update_fields=["status", "note", "resolved_by", "resolved_at"])
        record(
            "field.conflict_resolve",
            actor=actor,
            obj=locked,
            region_code=locked.region_code,
            object_label=f"{locked.household.head_name}户",
            after={"status": keep, "note": locked.note},
        )
    return locked


TOWN_LEVEL = 9  # a town's region code has 9 digits


def review_flag(*, actor: User, flag: EvidenceFlag, status: str, note: str) -> EvidenceFlag:
    if not actor.can(Cap.INSPECT) or not actor.can(Cap.EDIT_ARCHIVE) or not actor.covers(flag.region_code):
        raise PermissionDenied(_("您无权核查该疑点。"))
    if len(actor.region_id or "") > TOWN_LEVEL:  # ADR 0026: the town reviews field evidence, never the village that took it
        raise PermissionDenied(_("现场采集疑点须由乡镇或县级审核人员核查，村级不能核查。"))
    if status == "dismissed" and actor.pk in (flag.worker_id, getattr(flag.photo, "uploaded_by_id", None)):
        raise PermissionDenied(_("不能核查自己采集的记录或照片的疑点，请由其他审核人员核查。"))  # no one clears their own flag
    if status not in ("confirmed", "dismissed"):
        raise ValidationError({"status": _("请选择核查结论。")})
    if not note.strip():
        raise ValidationError({"review_note": _("请填写核查意见。")})
    with transaction.atomic():
        values = {"status": status, "review_note": note.strip()[:300], "reviewed_by": actor, "reviewed_at": timezone.now()}
        # A conclusion stands once given: only an open flag is reviewed (two reviewers at once: the first wins).
        if not EvidenceFlag.objects.filter(pk=flag.pk, status=FlagStatus.OPEN).update(**values):
            raise ValidationError(_("该疑点已有核查结论，不能再次核查或更改。"))
        for name, value in values.items():
            setattr(flag, name, value)
        record(
            "field.flag_review",
            actor=actor,
            obj=flag,
            region_code=flag.region_code,
            object_label=flag.get_kind_display(),
            after={"status": status, "note": flag.review_note},
        )
    return flag
