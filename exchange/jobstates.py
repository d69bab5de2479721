"""The steps an import or export job may take, declared once as two `core.statemachine.Machine`s
(labels from the models' Status choices), and the one function that takes them.

Every status change of an ImportJob or ExportJob (by the worker, a user's button, or the recovery
of a job whose worker died) is `move(...)`: a single conditional UPDATE that only matches while the
job is still in a status the step may start from. Two parties racing for the same job (a user
cancelling while the worker finishes, two workers recovering it) cannot both win: the loser's
UPDATE matches no row and it is told so.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.statemachine import Machine, Step
from exchange.models import ExportJob, ImportJob

IS = ImportJob.Status
ES = ExportJob.Status

# The state labels are the models' Status choices (written once, there); each target is reached by
# exactly one step, so `move(model, pk, to)` names its step by the status it reaches.
IMPORT = Machine(
    "exchange.import_job",
    model="exchange.ImportJob",
    column="status",
    states=dict(IS.choices),
    steps=(
        Step("validate", _lazy("开始校验"), (IS.QUEUED,), IS.VALIDATING),
        # the mapping step (ADR 0033): VALIDATING -> MAPPING, a job without a confirmed mapping had its
        # header read and each column's field proposed; VALIDATED -> MAPPING, the uploader went back
        # from the preview to change the mapping (修改列对应)
        Step("map", _lazy("待确认列对应"), (IS.VALIDATING, IS.VALIDATED), IS.MAPPING),
        Step("validated", _lazy("校验完成"), (IS.VALIDATING,), IS.VALIDATED),
        # IMPORTING -> IMPORTING: resumed after the last committed chunk by a new run;
        # FAILED -> IMPORTING: a failed import resumes where it stopped
        Step("import", _lazy("导入"), (IS.VALIDATED, IS.IMPORTING, IS.FAILED), IS.IMPORTING),
        Step("finish", _lazy("完成"), (IS.IMPORTING,), IS.DONE),
        Step("fail", _lazy("失败"), (IS.QUEUED, IS.VALIDATING, IS.IMPORTING), IS.FAILED),
        Step("cancel", _lazy("取消"), (IS.QUEUED, IS.VALIDATING, IS.MAPPING, IS.VALIDATED), IS.CANCELLED),
        # back to QUEUED: the worker died while validating (validation writes nothing, so it starts
        # over), a failed validation or a cancelled job is checked again from the start, or the
        # uploader confirmed the mapping and the check runs with it
        Step("requeue", _lazy("重新排队"), (IS.QUEUED, IS.VALIDATING, IS.MAPPING, IS.FAILED, IS.CANCELLED), IS.QUEUED),
    ),
    initial=IS.QUEUED,
    final=(IS.DONE, IS.FAILED, IS.CANCELLED),  # finished (a failed or cancelled one may still be restarted)
)

EXPORT = Machine(
    "exchange.export_job",
    model="exchange.ExportJob",
    column="status",
    states=dict(ES.choices),
    steps=(
        Step("run", _lazy("开始生成"), (ES.QUEUED,), ES.RUNNING),
        Step("finish", _lazy("完成"), (ES.RUNNING,), ES.DONE),
        Step("fail", _lazy("失败"), (ES.QUEUED, ES.RUNNING), ES.FAILED),
        # QUEUED again: its worker died (written again from the start), or a failed one is retried
        Step("requeue", _lazy("重新排队"), (ES.QUEUED, ES.RUNNING, ES.FAILED), ES.QUEUED),
    ),
    initial=ES.QUEUED,
    final=(ES.DONE, ES.FAILED),
)

MACHINES: dict[type[models.Model], Machine] = {ImportJob: IMPORT, ExportJob: EXPORT}


def _table(machine: Machine) -> dict[str, frozenset[str]]:
    """status -> the statuses it may move to (read from the machine's steps)."""
    return {state: frozenset(step.target for step in machine.steps_from(state)) for state in machine.states}


IMPORT_STEPS = _table(IMPORT)
EXPORT_STEPS = _table(EXPORT)

FINAL = IMPORT.final | EXPORT.final
# the statuses in which a worker is (or should be) busy with the job and keeps its heartbeat
WORKING = {ImportJob: frozenset({IS.VALIDATING, IS.IMPORTING}), ExportJob: frozenset({ES.RUNNING})}

Job = ImportJob | ExportJob


def machine(model: type[Job]) -> Machine:
    return MACHINES[model]


def steps(model: type[Job]) -> dict[str, frozenset[str]]:
    return IMPORT_STEPS if model is ImportJob else EXPORT_STEPS


def step_to(model: type[Job], to: str) -> Step:
    """The one step that reaches status `to`."""
    found = [s for s in machine(model).steps if s.target == to]
    if len(found) != 1:
        raise ValueError(f"{model.__name__}: no single step reaches {to!r}")
    return found[0]


def sources(model: type[Job], to: str) -> list[str]:
    """The statuses from which a job may move to `to`."""
    return list(machine(model).sources_of(to))


def may_move(job: Job, to: str) -> bool:
    return to in steps(type(job)).get(job.status, frozenset())


def move(model: type[Job], pk: Any, to: str, *, only_from: list[str] | None = None, **fields: Any) -> bool:
    """Move the job to status `to` if its current status allows it (and is in `only_from`, when
    given); other columns in `fields` are written in the same UPDATE. Returns whether it moved.
    `fields` may hold extra conditions as `where_<column>=value` (e.g. the attempt that owns it).
    The UPDATE is the machine's (`Machine.move`): it only matches a row still in one of the step's sources."""
    step = step_to(model, to)
    where = {k.removeprefix("where_"): fields.pop(k) for k in list(fields) if k.startswith("where_")}
    rows = model.objects.filter(pk=pk, **where)
    if only_from is not None:
        rows = rows.filter(status__in=only_from)
    if to in FINAL:
        fields.setdefault("finished_at", timezone.now())
    return bool(machine(model).move(rows, step.action, **fields))


def move_or_refuse(job: Job, to: str, **fields: Any) -> None:
    """A user's step: refused with the job's current status in Chinese when it is not allowed now."""
    if not move(type(job), job.pk, to, only_from=[job.status], **fields):
        job.refresh_from_db(fields=["status"])
        raise ValidationError(_("该任务当前状态为“%(s)s”，不能执行此操作。") % {"s": job.get_status_display()})
    job.refresh_from_db()
