"""Every write to the training ledger, and the check other apps call before accepting someone's work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import require
from accounts.roles import Cap
from audit.services import record
from core.errors import claim_version
from training.models import QUALIFIES, Course, Trainee, TrainingRecord

TRAINEE_FIELDS = ("name", "kind", "organisation", "licence_no", "region_code", "is_active")


def default_valid_until(issued_on: dt.date) -> dt.date:
    """Training is valid for one year: issued 2026-03-15, valid to 2027-03-14."""
    try:
        return issued_on.replace(year=issued_on.year + 1) - dt.timedelta(days=1)
    except ValueError:  # 29 February
        return issued_on.replace(year=issued_on.year + 1, day=28)


def _snapshot(t: Trainee) -> dict[str, Any]:
    from core.masking import mask_id_number, mask_phone

    return {f: getattr(t, f) for f in TRAINEE_FIELDS} | {"id_number": mask_id_number(t.id_number), "phone": mask_phone(t.phone)}


def save_trainee(*, actor: User | None, trainee: Trainee | None, data: dict[str, Any], version: int | None = None) -> Trainee:
    require(actor, Cap.MANAGE_TRAINING, data["region_code"])
    with transaction.atomic():
        if trainee is None:
            trainee = Trainee()
            before = None
        else:
            require(actor, Cap.MANAGE_TRAINING, trainee.region_code)
            claim_version(Trainee, trainee.pk, version if version is not None else trainee.version)
            trainee.version += 1
            before = _snapshot(trainee)
        for f in TRAINEE_FIELDS:
            if f in data:
                setattr(trainee, f, data[f])
        for secret in ("id_number", "phone"):
            if secret in data:
                setattr(trainee, secret, data[secret] or "")
        trainee.save()
        record("training.trainee_save", actor=actor, obj=trainee, before=before, after=_snapshot(trainee))
    return trainee


def save_course(*, actor: User | None, course: Course | None, data: dict[str, Any]) -> Course:
    require(actor, Cap.MANAGE_TRAINING, data["region_code"])
    if data["end_date"] < data["start_date"]:
        raise ValidationError(_("结束日期不能早于开始日期"))
    with transaction.atomic():
        course = course or Course()
        for f, value in data.items():
            setattr(course, f, value)
        course.save()
        record("training.course_save", actor=actor, obj=course, after={k: str(v) for k, v in data.items()})
    return course


def add_records(
    *,
    actor: User | None,
    course: Course,
    trainees: Iterable[Trainee],
    issued_on: dt.date | None = None,
    passed: bool = True,
    certificate_prefix: str = "",
) -> list[TrainingRecord]:
    """Enrol people who attended a course; each gets a record valid for a year from the issue date."""
    issued = issued_on or course.end_date
    made = []
    with transaction.atomic():
        for trainee in trainees:
            require(actor, Cap.MANAGE_TRAINING, trainee.region_code)
            rec, created = TrainingRecord.objects.get_or_create(
                trainee=trainee,
                course=course,
                defaults={
                    "region_code": trainee.region_code,
                    "passed": passed,
                    "issued_on": issued,
                    "valid_until": default_valid_until(issued),
                },
            )
            if created:
                if certificate_prefix:
                    rec.certificate_no = f"{certificate_prefix}{rec.pk:05d}"
                    rec.save(update_fields=["certificate_no"])
                record(
                    "training.record_add",
                    actor=actor,
                    obj=rec,
                    object_label=str(rec)[:200],
                    after={"trainee": trainee.name, "course": course.title, "passed": passed, "valid_until": rec.valid_until},
                )
            made.append(rec)
    return made


def valid_record(trainee: Trainee, work: str, day: dt.date) -> TrainingRecord | None:
    return (
        TrainingRecord.objects.filter(
            trainee=trainee, passed=True, issued_on__lte=day, valid_until__gte=day, course__kind__in=QUALIFIES[work]
        )
        .order_by("-valid_until")
        .first()
    )


WORK_LABELS = {"inspection": "排查", "appraisal": "鉴定", "construction": "施工"}


def require_trained(trainees: Iterable[Trainee], work: str, day: dt.date) -> None:
    """Refuse the work when anyone named has no valid training for it on that day."""
    missing = [t.name for t in trainees if valid_record(t, work, day) is None]
    if missing:
        raise ValidationError(
            _("%(names)s 在 %(day)s 没有有效的%(work)s培训记录（培训每年至少一次），不能承担%(work)s工作。请先在培训台账中登记。")
            % {"names": "、".join(missing), "day": day.isoformat(), "work": WORK_LABELS[work]}
        )
