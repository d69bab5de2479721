"""Background work of the exchange app (run by `manage.py db_worker`)."""

from __future__ import annotations

import logging
from pathlib import Path

from django.utils import timezone
from django_tasks import task

from audit.services import record
from core.context import ActionContext, acting
from exchange import household_import
from exchange.exports import KINDS
from exchange.models import ExportJob, ImportJob
from exchange.readers import UnreadableFile, estimate_rows
from exchange.services import storage_dir

log = logging.getLogger(__name__)
ERROR_SAMPLE = 50  # rejected rows shown on the preview page; all of them are in the error file


def _fail(model: type[ImportJob] | type[ExportJob], pk: str, message: str) -> None:
    model.objects.filter(pk=pk).update(status="failed", message=message[:2000], finished_at=timezone.now())


@task()
def validate_import(job_id: str) -> None:
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    estimate = estimate_rows(Path(job.file_path), job.original_name)  # for the progress bar only
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.VALIDATING, heartbeat_at=timezone.now(), total_rows=estimate
    )

    def progress(rows: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(
            processed_rows=rows, total_rows=max(rows, estimate), heartbeat_at=timezone.now()
        )

    try:
        with acting(ActionContext(source="import")):
            parsed = household_import.parse_file(Path(job.file_path), job.original_name, job.created_by)
            totals = household_import.run(parsed, user=job.created_by, dry_run=True, on_progress=progress)
    except UnreadableFile as exc:
        _fail(ImportJob, job_id, str(exc))
        return
    except Exception as exc:
        log.exception("validating import %s failed", job_id)
        _fail(ImportJob, job_id, f"校验时出错：{exc}")
        return
    errors_path = ""
    if totals.rejected_rows:
        errors_path = str(storage_dir("imports") / f"{job_id}-errors.xlsx")
        household_import.write_errors(Path(errors_path), parsed.header, totals.rejected_rows)
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.VALIDATED,
        total_rows=totals.rows,
        valid_rows=totals.rows - totals.rejected,
        rejected_rows=totals.rejected,
        planned_create=totals.created,
        planned_update=totals.updated,
        planned_unchanged=totals.unchanged,
        processed_rows=totals.rows,
        errors_path=errors_path,
        error_sample=[[r.line, "；".join(r.errors)] for r in totals.rejected_rows[:ERROR_SAMPLE]],
    )


@task()
def run_import(job_id: str) -> None:
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != ImportJob.Status.IMPORTING:
        return
    on_commit, on_progress = household_import.job_progress_callbacks(job.pk)
    try:
        with acting(ActionContext(source="import")):
            parsed = household_import.parse_file(Path(job.file_path), job.original_name, job.created_by)
            totals = household_import.run(
                parsed, user=job.created_by, skip_valid=job.processed_rows, on_commit=on_commit, on_progress=on_progress
            )
            job.refresh_from_db()
            ImportJob.objects.filter(pk=job_id).update(
                status=ImportJob.Status.DONE, finished_at=timezone.now(), rejected_rows=totals.rejected
            )
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
                },
            )
    except Exception as exc:
        log.exception("import %s failed", job_id)
        _fail(ImportJob, job_id, f"导入中断：{exc}。已导入的部分保留，可修正后重新导入同一文件（已导入的行不会重复）。")


@task()
def run_export(job_id: str) -> None:
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    user = job.created_by
    kind = KINDS[job.kind]
    qs = kind.queryset(user, job.params)
    ExportJob.objects.filter(pk=job_id).update(status=ExportJob.Status.RUNNING, total_rows=qs.count())
    path = storage_dir("exports") / f"{job_id}{kind.suffix}"

    def progress(rows: int) -> None:
        ExportJob.objects.filter(pk=job_id).update(processed_rows=rows)

    try:
        with acting(ActionContext(source="export")):
            count = kind.write(path, qs, job.unmasked, progress)
            ExportJob.objects.filter(pk=job_id).update(
                status=ExportJob.Status.DONE, processed_rows=count, file_path=str(path), finished_at=timezone.now()
            )
            record(kind.verb, actor=user, obj=job, region_code=user.region_id or "",
                   after={"rows": count, "filters": job.params, "unmasked": job.unmasked, "reason": job.reason})  # fmt: skip
    except Exception as exc:
        log.exception("export %s failed", job_id)
        _fail(ExportJob, job_id, f"导出失败：{exc}")
