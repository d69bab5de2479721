"""Import and export jobs: created here, run by exchange.tasks in the background worker."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Cap
from audit.services import record
from core import policy, uploads
from exchange import jobstates, mappings
from exchange.ledger import Mapping
from exchange.ledger.layout import layout_name
from exchange.models import ExportJob, ImportJob
from exchange.recovery import is_stale

ALLOWED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")  # .xls: Excel 97–2003 and WPS, read by calamine


def storage_dir(kind: str) -> Path:
    path = Path(settings.MEDIA_ROOT) / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def _user_region(user: User) -> str:
    return (user.region_id or "").ljust(12, "0")


def start_import(*, user: User, upload: UploadedFile) -> ImportJob:
    if not user.can(Cap.IMPORT):
        raise PermissionDenied(_("您的角色无权导入数据。"))
    name = upload.name or "upload"
    if not name.lower().endswith(ALLOWED_SUFFIXES):
        raise ValidationError(_("只支持 Excel（.xlsx、.xls）和 .csv 文件。"))
    limit = uploads.max_upload_bytes()
    if upload.size and upload.size > limit:
        raise ValidationError(uploads.too_large_message(limit))
    path = storage_dir("imports") / f"{uuid.uuid4().hex}{Path(name).suffix.lower()}"
    uploads.save_upload(upload, path, limit)
    try:
        uploads.check_spreadsheet_kind(path, name)  # by content, not by the name (rows and sizes: exchange.sheet_limits)
    except ValidationError:
        path.unlink(missing_ok=True)
        raise
    return create_import_job(user=user, path=path, original_name=name)


def create_import_job(*, user: User, path: Path, original_name: str, mapping: Mapping | None = None) -> ImportJob:
    """The job of an uploaded file. Without `mapping` its header is read first and the uploader
    confirms each column's field (the mapping step, ADR 0033); with one (header key -> field key, {}
    for the catalogue's proposal) the check runs with it at once."""
    from exchange.tasks import validate_import

    with transaction.atomic():
        job = ImportJob.objects.create(
            created_by=user, region_code=_user_region(user), file_path=str(path), original_name=original_name[:200],
            mapping=mapping,
        )  # fmt: skip
        record("import.upload", actor=user, obj=job, region_code=user.region_id or "", after={"file": original_name})
        transaction.on_commit(lambda: validate_import.enqueue(str(job.pk)))
    return job


def _owned(user: User, job: ImportJob, refusal: str) -> None:
    if job.created_by_id != user.pk:
        raise PermissionDenied(refusal)


def confirm_import(*, user: User, job: ImportJob) -> ImportJob:
    from exchange.tasks import run_import

    _owned(user, job, _("只有上传人可以确认导入。"))
    with transaction.atomic():
        if not jobstates.move(ImportJob, job.pk, ImportJob.Status.IMPORTING, only_from=[ImportJob.Status.VALIDATED],
                              processed_rows=0, heartbeat_at=None, confirmed_at=timezone.now()):  # fmt: skip
            job.refresh_from_db(fields=["status"])
            raise ValidationError(_("该导入当前状态为“%(s)s”，不能确认。") % {"s": job.get_status_display()})
        transaction.on_commit(lambda: run_import.enqueue(str(job.pk)))
    job.refresh_from_db()
    return job


def confirm_mapping(*, user: User, job: ImportJob, choices: dict[str, str]) -> ImportJob:
    """The uploader's choice of each column's field: kept as the county's mapping (audited,
    `import.mapping`) and the job's, and the check queued to run with it."""
    from exchange.tasks import validate_import

    _owned(user, job, _("只有上传人可以确认列对应。"))
    if job.status != ImportJob.Status.MAPPING:
        raise ValidationError(_("该导入当前状态为“%(s)s”，不能确认列对应。") % {"s": job.get_status_display()})
    mapping = mappings.mapping_from_choices(job.proposal, choices)
    with transaction.atomic():
        if not jobstates.move(ImportJob, job.pk, ImportJob.Status.QUEUED, only_from=[ImportJob.Status.MAPPING],
                              mapping=mapping, processed_rows=0, heartbeat_at=None, errors_path="", error_sample=[],
                              unmapped=[], noted={}):  # fmt: skip
            job.refresh_from_db(fields=["status"])
            raise ValidationError(_("该导入当前状态为“%(s)s”，不能确认列对应。") % {"s": job.get_status_display()})
        plan = mappings.confirmed_plan(job.proposal, mapping)
        mappings.save_from(user, plan, layout_name(plan.mapping()))  # a ledger of persons is exported as one
        transaction.on_commit(lambda: validate_import.enqueue(str(job.pk)))
    job.refresh_from_db()
    return job


def remap_import(*, user: User, job: ImportJob) -> ImportJob:
    """Back from the preview to the mapping step (修改列对应): nothing has been written yet."""
    _owned(user, job, _("只有上传人可以修改列对应。"))
    if not job.proposal.get("columns"):
        raise ValidationError(_("该导入没有经过列对应步骤（由命令或程序按指定的列对应导入），不能修改列对应。"))
    if not jobstates.move(ImportJob, job.pk, ImportJob.Status.MAPPING, only_from=[ImportJob.Status.VALIDATED]):
        job.refresh_from_db(fields=["status"])
        status = job.get_status_display()
        raise ValidationError(_("该导入当前状态为“%(s)s”，不能修改列对应（只有待确认的导入可以）。") % {"s": status})
    job.refresh_from_db()
    return job


def resume_import(*, user: User, job: ImportJob) -> ImportJob:
    """Carry on an import whose worker died: it continues after the last committed chunk."""
    from exchange.tasks import run_import

    _owned(user, job, _("只有上传人可以继续导入。"))
    if not is_stale(job):
        raise ValidationError(_("该导入仍在进行，无需继续。"))
    with transaction.atomic():
        if not jobstates.move(ImportJob, job.pk, ImportJob.Status.IMPORTING, only_from=[ImportJob.Status.IMPORTING],
                              where_heartbeat_at=job.heartbeat_at, heartbeat_at=None):  # fmt: skip
            raise ValidationError(_("该导入已在继续，请稍候。"))
        record("import.resume", actor=user, obj=job, region_code=user.region_id or "",
               after={"step": "import", "processed": job.processed_rows})  # fmt: skip
        transaction.on_commit(lambda: run_import.enqueue(str(job.pk)))
    job.refresh_from_db()
    return job


def cancel_import(*, user: User, job: ImportJob) -> None:
    """Before anything is written: waiting, being checked (a running check stops at its next chunk)
    or checked and waiting for confirmation."""
    _owned(user, job, _("只有上传人可以取消导入。"))
    with transaction.atomic():
        cancellable: list[str] = [ImportJob.Status.QUEUED, ImportJob.Status.VALIDATING, ImportJob.Status.MAPPING,
                                  ImportJob.Status.VALIDATED]  # fmt: skip
        if not jobstates.move(ImportJob, job.pk, ImportJob.Status.CANCELLED, only_from=cancellable, heartbeat_at=None):
            job.refresh_from_db(fields=["status"])
            raise ValidationError(_("该导入当前状态为“%(s)s”，不能取消（只有排队中、校验中、待确认列和待确认的导入可以取消）。")
                                  % {"s": job.get_status_display()})  # fmt: skip
        record("import.cancel", actor=user, obj=job, region_code=user.region_id or "", after={"from": job.status})


def restart_import(*, user: User, job: ImportJob) -> ImportJob:
    """A failed or cancelled job again: checked again from the start if it was never confirmed (the
    check writes nothing), otherwise the import carries on after its last committed chunk."""
    from exchange.tasks import run_import, validate_import

    _owned(user, job, _("只有上传人可以重新开始导入。"))
    confirmed = job.confirmed_at is not None
    to = ImportJob.Status.IMPORTING if confirmed else ImportJob.Status.QUEUED
    reset: dict[str, Any] = {} if confirmed else {"processed_rows": 0, "errors_path": "", "error_sample": [], "noted": {}}
    with transaction.atomic():
        if not jobstates.move(ImportJob, job.pk, to, only_from=[ImportJob.Status.FAILED, ImportJob.Status.CANCELLED],
                              heartbeat_at=None, finished_at=None, message="", **reset):  # fmt: skip
            job.refresh_from_db(fields=["status"])
            raise ValidationError(_("该导入当前状态为“%(s)s”，不能重新开始。") % {"s": job.get_status_display()})
        step = {"step": "import" if confirmed else "validate", "from": job.status, "processed": job.processed_rows}
        record("import.resume", actor=user, obj=job, region_code=user.region_id or "", after=step)
        task = run_import if confirmed else validate_import
        transaction.on_commit(lambda: task.enqueue(str(job.pk)))
    job.refresh_from_db()
    return job


def start_export(
    *, user: User, params: dict[str, Any], unmasked: bool = False, reason: str = "", kind: str = "households"
) -> ExportJob:
    from exchange.exports import KINDS
    from exchange.tasks import run_export

    if kind not in KINDS:
        raise ValidationError(_("不支持的导出类型。"))
    policy.check(user, KINDS[kind].model, "export")
    KINDS[kind].check(user)  # a kind that cannot be made for this user is refused in Chinese
    if unmasked:
        if not policy.allowed(user, KINDS[kind].model, "unmask"):
            raise PermissionDenied(_("您的角色无权导出完整的身份证号、电话和银行账号。"))
        if len(reason.strip()) < 2:
            raise ValidationError(_("导出完整号码须填写理由。"))
    with transaction.atomic():
        job = ExportJob.objects.create(
            created_by=user,
            kind=kind,
            region_code=_user_region(user),
            params=params,
            unmasked=unmasked,
            reason=reason.strip()[:200],
        )
        transaction.on_commit(lambda: run_export.enqueue(str(job.pk)))
    return job
