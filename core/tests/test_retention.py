"""Finding 8 of issue 11: uploads, error files and (unmasked) exports expire; the rows and the audit trail stay."""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from conftest import PASSWORD, make_user
from exchange.models import ExportJob, ImportJob
from exchange.services import storage_dir


def aged(path: Path, content: bytes = b"x", days: int = 0) -> Path:
    path.write_bytes(content)
    then = time.time() - days * 86400
    os.utime(path, (then, then))
    return path


@pytest.fixture
def officer(db: Any) -> Any:
    return make_user("sd_files", "610826", Role.COUNTY_STAFF)


def test_expired_files_go_and_their_rows_stay(officer: Any, settings: Any, tmp_path: Path) -> None:
    settings.ANJU_TMP_DIR = tmp_path / "anju-tmp"
    settings.ANJU_RETENTION_DAYS = 30
    old = timezone.now() - dt.timedelta(days=31)
    imports = storage_dir("imports")
    upload = aged(imports / "old.xlsx", b"PK" * 100)
    errors = aged(imports / "old-errors.xlsx")
    done = ImportJob.objects.create(created_by=officer, region_code="610826000000", file_path=str(upload),
                                    original_name="农户.xlsx", errors_path=str(errors), status="validated")  # fmt: skip
    fresh_upload = aged(imports / "new.xlsx")
    fresh = ImportJob.objects.create(created_by=officer, region_code="610826000000", file_path=str(fresh_upload),
                                     original_name="新.xlsx", status="done")  # fmt: skip
    running_upload = aged(imports / "running.xlsx")
    running = ImportJob.objects.create(created_by=officer, region_code="610826000000", file_path=str(running_upload),
                                       original_name="进行中.xlsx", status="importing")  # fmt: skip
    unmasked = aged(storage_dir("exports") / f"{uuid.uuid4().hex}.xlsx", b"ID numbers")
    export = ExportJob.objects.create(created_by=officer, region_code="610826000000", unmasked=True, reason="核对",
                                      status="done", file_path=str(unmasked))  # fmt: skip
    ImportJob.objects.filter(pk__in=[done.pk, running.pk]).update(created_at=old)
    ExportJob.objects.filter(pk=export.pk).update(created_at=old)
    orphan = aged(storage_dir("exports") / "orphan.xlsx", days=40)
    Path(settings.ANJU_TMP_DIR).mkdir(parents=True)
    stale_tmp = aged(Path(settings.ANJU_TMP_DIR) / "bank.csv", b"6230...", days=1)  # a request died before deleting it

    call_command("purge_expired_files", "--dry-run")
    assert upload.exists() and unmasked.exists() and not AuditEvent.objects.filter(verb="files.purge").exists()

    call_command("purge_expired_files")
    assert not upload.exists() and not errors.exists() and not unmasked.exists() and not orphan.exists()
    assert not stale_tmp.exists()
    assert fresh_upload.exists() and running_upload.exists()  # young, or still in use
    done.refresh_from_db()
    export.refresh_from_db()
    assert done.purged_at and done.status == "cancelled" and done.errors_path == "" and "保存期限" in done.message
    assert export.purged_at and ExportJob.objects.count() == 1
    fresh.refresh_from_db()
    running.refresh_from_db()
    assert fresh.purged_at is None and running.purged_at is None
    event = AuditEvent.objects.get(verb="files.purge")
    assert event.after["deleted"] == {"import": 1, "import_errors": 1, "export_unmasked": 1, "orphan": 1, "temporary": 1}

    client = Client()
    client.login(username="sd_files", password=PASSWORD)
    assert client.get(reverse("exchange:export_download", args=[export.pk])).status_code == 404
    assert "已按保存期限" in client.get(reverse("exchange:export_detail", args=[export.pk])).content.decode()
