"""Background work of the exchange app (run by `manage.py run_worker`).

Each task claims its job (a step of exchange.jobstates that also takes the next attempt number),
works with a Pulse writing its heartbeat and progress on a connection of its own, and ends at one
boundary (`_boundary`): whatever goes wrong, the job is marked 失败 with a Chinese reason and the
exception reaches django-tasks as JobFailed, so its own result row says failed too, and the worker
goes on to the next job.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from audit.services import record
from core.context import ActionContext, acting
from exchange import household_import
from exchange.exports import KINDS
from exchange.jobstates import WORKING, Job, move
from exchange.mappings import read_proposal
from exchange.models import ExportJob, ImportJob
from exchange.pulse import JobLost, Pulse
from exchange.readers import UnreadableFile, estimate_rows
from exchange.services import storage_dir

log = logging.getLogger(__name__)
ERROR_SAMPLE = 50  # rejected rows shown on the preview page; all of them are in the error file
NOTE_SAMPLE = 50  # rows with a judgement (ImportJob.noted) shown on the preview page
IS, ES = ImportJob.Status, ExportJob.Status


class JobFailed(Exception):
    """The job was marked failed; raised on to django-tasks so that its result row is failed too."""


def reason_for(exc: BaseException) -> str:
    """What the user is told: the checks' own Chinese messages, otherwise the kind of trouble (the
    details are in the worker's log, never a stack trace on the page)."""
    if isinstance(exc, UnreadableFile):
        return str(exc)
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    if isinstance(exc, DatabaseError):
        return _("数据库暂时无法读写（%(e)s），请稍后重试。") % {"e": str(exc)[:200]}
    if isinstance(exc, MemoryError):
        return _("服务器内存不足，请拆分文件或稍后重试。")
    if isinstance(exc, OSError):
        return _("读写文件出错（%(e)s）。") % {"e": exc.strerror or type(exc).__name__}
    return _("程序出错（%(e)s），详情已记入后台任务日志。") % {"e": type(exc).__name__}


def _release_connection() -> None:
    """Drop this thread's connection, and with it any read still open on it (a generator stopped
    halfway through `.iterator()`), so that the writes that follow do not meet SQLite's stale
    snapshot. Not inside a transaction (tests), where there is nothing of the kind to drop."""
    if not connection.in_atomic_block:
        connection.close()


def _fail(model: type[Job], job: Job, reason: str) -> None:
    try:
        move(model, job.pk, "failed", only_from=[*WORKING[model], "queued"], where_attempts=job.attempts,
             message=reason[:2000])  # fmt: skip
    except DatabaseError:  # the recovery finds the job by its silent heartbeat and fails it then
        log.exception("could not mark %s %s failed", model.__name__, job.pk)


@contextmanager
def _boundary(model: type[Job], job: Job, what: str) -> Iterator[None]:
    try:
        yield
    except JobLost:
        log.info("%s %s was cancelled or taken over; this run stops", model.__name__, job.pk)
        _release_connection()
    except UnreadableFile as exc:  # the user's file, not a fault: the job says why, the task is done
        _release_connection()
        _fail(model, job, str(exc))
    except Exception as exc:
        log.exception("%s %s failed", model.__name__, job.pk)
        _release_connection()
        reason = f"{what}：{reason_for(exc)}"
        _fail(model, job, reason)
        raise JobFailed(reason) from exc


def _claim(model: type[Job], job_id: str, to: str, only_from: list[str]) -> Any:
    """Take the job for this run (the next attempt number); None when it is no longer waiting for one."""
    job = model.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None:
        log.warning("%s %s no longer exists", model.__name__, job_id)
        return None
    attempt = job.attempts + 1
    if not move(model, job_id, to, only_from=only_from, where_attempts=job.attempts, attempts=attempt,
                heartbeat_at=timezone.now()):  # fmt: skip
        log.info("%s %s is %s: not run", model.__name__, job_id, job.status)
        return None
    job.refresh_from_db()
    return job


@task()
def validate_import(job_id: str) -> None:
    job = _claim(ImportJob, job_id, IS.VALIDATING, [IS.QUEUED])
    if job is None:
        return
    if job.mapping is None:
        _propose_mapping(job)
        return
    with _boundary(ImportJob, job, _("校验时出错")):
        with Pulse(ImportJob, job.pk, status=IS.VALIDATING, attempt=job.attempts) as pulse:
            estimate = estimate_rows(Path(job.file_path), job.original_name)  # for the progress bar only
            pulse.set(total_rows=estimate, processed_rows=0)

            def progress(rows: int) -> None:
                pulse.set(processed_rows=rows, total_rows=max(rows, estimate))

            with acting(ActionContext(source="import")):
                parsed = household_import.parse_file(Path(job.file_path), job.original_name, job.created_by, mapping=job.mapping)
                noted: dict[str, Any] = {"count": 0, "sample": []}
                parsed.rows = noting(parsed.rows, noted)
                totals = household_import.run(parsed, user=job.created_by, dry_run=True, on_progress=progress)
            errors_path = ""
            if totals.rejected_rows:
                errors_path = str(storage_dir("imports") / f"{job_id}-errors.xlsx")
                household_import.write_errors(Path(errors_path), parsed, totals.rejected_rows)
        moved = move(
            ImportJob, job_id, IS.VALIDATED, only_from=[IS.VALIDATING], where_attempts=job.attempts,
            total_rows=totals.rows, valid_rows=totals.rows - totals.rejected, rejected_rows=totals.rejected,
            planned_create=totals.created, planned_update=totals.updated, planned_unchanged=totals.unchanged,
            processed_rows=totals.rows, errors_path=errors_path, message="", unmapped=unmapped_headers(parsed), noted=noted,
            report=household_import.report(parsed, totals),
            error_sample=[[r.label, "；".join(r.errors)] for r in totals.rejected_rows[:ERROR_SAMPLE]],
        )  # fmt: skip
        if not moved:
            raise JobLost


def noting(
    rows: Iterator[household_import.ParsedRow], noted: dict[str, Any], limit: int | None = NOTE_SAMPLE
) -> Iterator[household_import.ParsedRow]:
    """The rows as they are checked, each judgement made on one kept in `noted` (ImportJob.noted; the
    first `limit`, or all)."""
    for row in rows:
        for line in (row, *row.members):
            if line.notes and not line.errors:
                noted["count"] += 1
                if limit is None or len(noted["sample"]) < limit:
                    noted["sample"].append([line.label, "；".join(line.notes)])
        yield row


def unmapped_headers(parsed: household_import.ParsedFile) -> list[str]:
    """The headers of the columns the import leaves out, each once (over all sheets)."""
    return list(dict.fromkeys(c.header for plan in parsed.sheets for c in plan.unmapped))


def _propose_mapping(job: ImportJob) -> None:
    """The mapping step (ADR 0033): the header read from the first rows of each sheet and each column's
    field proposed; the job then waits for its uploader to confirm (待确认列)."""
    with _boundary(ImportJob, job, _("读取表头时出错")):
        with Pulse(ImportJob, job.pk, status=IS.VALIDATING, attempt=job.attempts):
            proposal = read_proposal(Path(job.file_path), job.original_name, job.created_by)
        if not move(ImportJob, job.pk, IS.MAPPING, only_from=[IS.VALIDATING], where_attempts=job.attempts,
                    proposal=proposal, processed_rows=0, total_rows=0, heartbeat_at=None, message=""):  # fmt: skip
            raise JobLost


@task()
def run_import(job_id: str) -> None:
    job = _claim(ImportJob, job_id, IS.IMPORTING, [IS.IMPORTING])
    if job is None:
        return
    attempt = job.attempts
    commit_progress, _heartbeat = household_import.job_progress_callbacks(job.pk)

    def on_commit(delta: household_import.Totals, n: int) -> None:
        """Inside each chunk's transaction: a run that no longer owns the job writes nothing."""
        owned = ImportJob.objects.select_for_update().filter(pk=job_id, status=IS.IMPORTING, attempts=attempt)
        if not owned.exists():
            raise JobLost
        commit_progress(delta, n)

    with _boundary(ImportJob, job, _("导入中断（已导入的部分保留，可从中断处继续，已导入的行不会重复）")):
        with Pulse(ImportJob, job.pk, status=IS.IMPORTING, attempt=attempt) as pulse:
            with acting(ActionContext(source="import")):
                parsed = household_import.parse_file(Path(job.file_path), job.original_name, job.created_by, mapping=job.mapping)
                totals = household_import.run(parsed, user=job.created_by, skip_valid=job.processed_rows,
                                              on_commit=on_commit, on_progress=lambda rows: pulse.set())  # fmt: skip
        with transaction.atomic(), acting(ActionContext(source="import")):
            unmapped = unmapped_headers(parsed)
            if not move(ImportJob, job_id, IS.DONE, only_from=[IS.IMPORTING], where_attempts=attempt,
                        rejected_rows=totals.rejected, message="", unmapped=unmapped,
                        report=household_import.report(parsed, totals)):  # fmt: skip
                raise JobLost
            job.refresh_from_db()
            record(
                "import.finish",
                actor=job.created_by,
                obj=job,
                region_code=job.created_by.region_id or "",
                after={
                    "file": job.original_name,
                    "rows": totals.rows,
                    "created": job.created,
                    "updated": job.updated,
                    "unchanged": job.unchanged,
                    "rejected": totals.rejected,
                    "unmapped": unmapped,  # the file's columns not imported
                    "skipped": job.report.get("skipped", 0),  # lines that are not households
                    "notes": job.noted.get("count", 0),  # rows with a judgement shown on the preview
                },
            )


@task()
def run_export(job_id: str) -> None:
    job = _claim(ExportJob, job_id, ES.RUNNING, [ES.QUEUED])
    if job is None:
        return
    user = job.created_by
    with _boundary(ExportJob, job, _("导出失败")):
        kind = KINDS[job.kind]
        path = storage_dir("exports") / f"{job_id}{kind.suffix}"
        with Pulse(ExportJob, job.pk, status=ES.RUNNING, attempt=job.attempts) as pulse:
            qs = kind.queryset(user, job.params)
            pulse.set(total_rows=qs.count(), processed_rows=0)
            with acting(ActionContext(source="export")):
                count = kind.run(user, path, qs, job.unmasked, lambda rows: pulse.set(processed_rows=rows))
        with transaction.atomic(), acting(ActionContext(source="export")):
            if not move(ExportJob, job_id, ES.DONE, only_from=[ES.RUNNING], where_attempts=job.attempts,
                        processed_rows=count, file_path=str(path), message=""):  # fmt: skip
                raise JobLost
            record(kind.verb, actor=user, obj=job, region_code=user.region_id or "",
                   after={"rows": count, "filters": job.params, "unmasked": job.unmasked, "reason": job.reason})  # fmt: skip
