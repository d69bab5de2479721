"""Jobs whose worker died: found by their silent heartbeat, handed to a new run or failed.

A running job's Pulse writes `heartbeat_at` every few seconds. A job in a working status
(校验中, 导入中, 生成中) whose heartbeat is older than STALE_AFTER lost its worker (killed, machine
restarted, out of memory). `recover()` — called by every worker at start and every SWEEP_SECONDS
(exchange.management.commands.run_worker) — then:

- a validation starts over (it writes nothing, so that is always safe): back to 排队中;
- an import is queued to carry on after its last committed chunk (each chunk commits with its
  progress counter);
- an export is written again from the start;

up to MAX_ATTEMPTS runs; after that the job is failed with a Chinese reason, and the user may
start it again from its page. A job waiting in the queue has no heartbeat (None) and is not swept.
Each step is a conditional move on the heartbeat seen, so two workers never recover the same job
twice. The dead run's django-tasks result row is marked failed too.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record
from exchange.jobstates import WORKING, Job, move
from exchange.models import ExportJob, ImportJob

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
SWEEP_SECONDS = 30
IS, ES = ImportJob.Status, ExportJob.Status


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "ANJU_JOB_STALE_SECONDS", 60))


def is_stale(job: Job, now: dt.datetime | None = None) -> bool:
    """The job should be worked on, but its worker has not been heard from for a while."""
    return (
        job.status in WORKING[type(job)]
        and job.heartbeat_at is not None
        and (now or timezone.now()) - job.heartbeat_at > stale_after()
    )


def _stale(model: type[Job], now: dt.datetime) -> Any:
    return model.objects.filter(status__in=WORKING[model], heartbeat_at__lt=now - stale_after()).select_related("created_by")


def recover(now: dt.datetime | None = None) -> list[str]:
    """Recover every job whose worker died; returns one line per job for the worker's log."""
    now = now or timezone.now()
    done = [line for job in _stale(ImportJob, now) if (line := _recover_import(job))]
    done += [line for job in _stale(ExportJob, now) if (line := _recover_export(job))]
    for line in done:
        log.warning(line)
    return done


def _seen(job: Job) -> dict[str, Any]:
    """The conditions under which the job is still as this sweep found it."""
    return {"where_heartbeat_at": job.heartbeat_at, "where_attempts": job.attempts}


def _give_up(job: Job, reason: str) -> str | None:
    if move(type(job), job.pk, "failed", only_from=[job.status], message=reason, **_seen(job)):
        _fail_task_rows(job)
        return f"{type(job).__name__} {job.pk}: failed after {job.attempts} runs"
    return None


def _recover_import(job: ImportJob) -> str | None:
    from exchange.tasks import run_import, validate_import

    validating = job.status == IS.VALIDATING
    if job.attempts >= MAX_ATTEMPTS:
        if validating:
            reason = _("后台任务进程在校验时中断了 %(n)s 次，已停止。可以点击“重新校验”再试；如仍中断，请拆分文件后分别导入。")
        else:
            reason = _("后台任务进程在导入时中断了 %(n)s 次，已停止。已导入的部分完整保留，可以点击“从中断处继续导入”。")
        return _give_up(job, reason % {"n": job.attempts})
    if validating:
        moved = move(ImportJob, job.pk, IS.QUEUED, only_from=[IS.VALIDATING], heartbeat_at=None, processed_rows=0,
                     message=_("后台任务进程中断，已重新排队校验。"), **_seen(job))  # fmt: skip
    else:  # stays 导入中, waiting (no heartbeat) for the run that carries on
        moved = move(ImportJob, job.pk, IS.IMPORTING, only_from=[IS.IMPORTING], heartbeat_at=None,
                     message=_("后台任务进程中断，将从中断处继续导入。"), **_seen(job))  # fmt: skip
    if not moved:
        return None
    _fail_task_rows(job)
    record("import.resume", actor=None, obj=job, region_code=job.created_by.region_id or "",
           after={"step": "validate" if validating else "import", "processed": job.processed_rows, "by": "recovery"})  # fmt: skip
    (validate_import if validating else run_import).enqueue(str(job.pk))
    return f"ImportJob {job.pk}: worker died while {job.status}, queued again (run {job.attempts + 1})"


def _recover_export(job: ExportJob) -> str | None:
    from exchange.tasks import run_export

    if job.attempts >= MAX_ATTEMPTS:
        return _give_up(job, _("后台任务进程在导出时中断了 %(n)s 次，已停止。请缩小筛选范围后重新导出。") % {"n": job.attempts})
    if not move(ExportJob, job.pk, ES.QUEUED, only_from=[ES.RUNNING], heartbeat_at=None, processed_rows=0,
                message=_("后台任务进程中断，已重新排队导出。"), **_seen(job)):  # fmt: skip
        return None
    _fail_task_rows(job)
    run_export.enqueue(str(job.pk))
    return f"ExportJob {job.pk}: worker died while running, queued again (run {job.attempts + 1})"


def _fail_task_rows(job: Job) -> None:
    """The dead run's django-tasks row still says RUNNING: say failed, and why."""
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(
        Q(status="RUNNING"), task_path__startswith="exchange.tasks.", args_kwargs__args__0=str(job.pk)
    ).update(
        status="FAILED",
        finished_at=timezone.now(),
        exception_class_path="exchange.recovery.WorkerDied",
        traceback=f"The worker stopped sending heartbeats for job {job.pk} (last {job.heartbeat_at}).",
    )
