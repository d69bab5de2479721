"""The steps an import or export job may take, declared once, and the one function that takes them.

Every status change of an ImportJob or ExportJob (by the worker, a user's button, or the recovery
of a job whose worker died) is `move(...)`: a single conditional UPDATE that only matches while the
job is still in a status the step may start from. Two parties racing for the same job (a user
cancelling while the worker finishes, two workers recovering it) cannot both win: the loser's
UPDATE matches no row and it is told so.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.models import ExportJob, ImportJob

IS = ImportJob.Status
ES = ExportJob.Status

# status -> the statuses it may move to
IMPORT_STEPS: dict[str, frozenset[str]] = {
    IS.QUEUED: frozenset({IS.VALIDATING, IS.FAILED, IS.CANCELLED, IS.QUEUED}),
    # back to QUEUED: the worker died while validating (validation writes nothing, so it starts over)
    IS.VALIDATING: frozenset({IS.VALIDATED, IS.FAILED, IS.CANCELLED, IS.QUEUED}),
    IS.VALIDATED: frozenset({IS.IMPORTING, IS.CANCELLED}),
    # IMPORTING -> IMPORTING: resumed after the last committed chunk by a new run
    IS.IMPORTING: frozenset({IS.DONE, IS.FAILED, IS.IMPORTING}),
    # a failed validation is checked again from the start; a failed import resumes where it stopped
    IS.FAILED: frozenset({IS.QUEUED, IS.IMPORTING}),
    IS.CANCELLED: frozenset({IS.QUEUED}),
    IS.DONE: frozenset(),
}

EXPORT_STEPS: dict[str, frozenset[str]] = {
    ES.QUEUED: frozenset({ES.RUNNING, ES.FAILED, ES.QUEUED}),
    ES.RUNNING: frozenset({ES.DONE, ES.FAILED, ES.QUEUED}),  # QUEUED: its worker died, written again from the start
    ES.FAILED: frozenset({ES.QUEUED}),
    ES.DONE: frozenset(),
}

FINAL = frozenset({"done", "failed", "cancelled"})
# the statuses in which a worker is (or should be) busy with the job and keeps its heartbeat
WORKING = {ImportJob: frozenset({IS.VALIDATING, IS.IMPORTING}), ExportJob: frozenset({ES.RUNNING})}

Job = ImportJob | ExportJob


def steps(model: type[Job]) -> dict[str, frozenset[str]]:
    return IMPORT_STEPS if model is ImportJob else EXPORT_STEPS


def sources(model: type[Job], to: str) -> list[str]:
    """The statuses from which a job may move to `to`."""
    return [s for s, targets in steps(model).items() if to in targets]


def may_move(job: Job, to: str) -> bool:
    return to in steps(type(job)).get(job.status, frozenset())


def move(model: type[Job], pk: Any, to: str, *, only_from: list[str] | None = None, **fields: Any) -> bool:
    """Move the job to status `to` if its current status allows it (and is in `only_from`, when
    given); other columns in `fields` are written in the same UPDATE. Returns whether it moved.
    `fields` may hold extra conditions as `where_<column>=value` (e.g. the attempt that owns it)."""
    allowed = sources(model, to)
    if only_from is not None:
        allowed = [s for s in allowed if s in only_from]
    where = {k.removeprefix("where_"): fields.pop(k) for k in list(fields) if k.startswith("where_")}
    values: dict[str, Any] = {"status": to, **fields}
    if to in FINAL:
        values.setdefault("finished_at", timezone.now())
    return bool(model.objects.filter(pk=pk, status__in=allowed, **where).update(**values))


def move_or_refuse(job: Job, to: str, **fields: Any) -> None:
    """A user's step: refused with the job's current status in Chinese when it is not allowed now."""
    if not move(type(job), job.pk, to, only_from=[job.status], **fields):
        job.refresh_from_db(fields=["status"])
        raise ValidationError(_("该任务当前状态为“%(s)s”，不能执行此操作。") % {"s": job.get_status_display()})
    job.refresh_from_db()
