"""Retention of the exchange app's files: uploaded spreadsheets, their error files and exports (core.retention)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from core.retention import Purge, retention_days
from exchange import jobstates
from exchange.models import ExportJob, ImportJob
from exchange.services import storage_dir


def note(purge: Purge) -> str:
    return _("文件已按保存期限（%(d)d 天）于 %(t)s 删除。") % {"d": retention_days(), "t": f"{purge.now:%Y-%m-%d}"}


def purge(purge: Purge) -> None:
    running = [ImportJob.Status.QUEUED, ImportJob.Status.VALIDATING, ImportJob.Status.IMPORTING]
    imports = ImportJob.objects.filter(created_at__lt=purge.cutoff, purged_at__isnull=True).exclude(status__in=running)
    for job in imports.iterator(chunk_size=500):
        purge.delete(job.file_path, "import")
        purge.delete(job.errors_path, "import_errors")
        if purge.dry_run:
            continue
        fields = {"purged_at": purge.now, "errors_path": "", "message": f"{job.message}\n{note(purge)}".strip()}
        if job.status in (ImportJob.Status.VALIDATED, ImportJob.Status.MAPPING):  # its file is gone: nothing left to confirm
            jobstates.move(ImportJob, job.pk, ImportJob.Status.CANCELLED, only_from=[job.status], **fields)
        else:
            ImportJob.objects.filter(pk=job.pk).update(**fields)
    exports = ExportJob.objects.filter(created_at__lt=purge.cutoff, purged_at__isnull=True).exclude(
        status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING]
    )
    for export in exports.iterator(chunk_size=500):
        purge.delete(export.file_path, "export_unmasked" if export.unmasked else "export")
        if not purge.dry_run:
            message = f"{export.message}\n{note(purge)}".strip()
            ExportJob.objects.filter(pk=export.pk).update(purged_at=purge.now, message=message)
    _orphans(purge)


def _orphans(purge: Purge) -> None:
    """Files in the folders that no live job names (a job row deleted, a crash between file and row)."""
    known = {
        *ImportJob.objects.filter(purged_at__isnull=True).values_list("file_path", flat=True),
        *ImportJob.objects.exclude(errors_path="").values_list("errors_path", flat=True),
        *ExportJob.objects.filter(Q(purged_at__isnull=True) & ~Q(file_path="")).values_list("file_path", flat=True),
    }
    cutoff = purge.cutoff.timestamp()
    for folder in ("imports", "exports"):
        for path in storage_dir(folder).iterdir():
            if path.is_file() and str(path) not in known and path.stat().st_mtime < cutoff:
                purge.delete(path, "orphan")
