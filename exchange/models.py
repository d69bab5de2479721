from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopedQuerySet


def clamped_percent(done: int, total: int) -> int:
    """0–99 while a job runs (100 is kept for a finished one), whatever the counters say."""
    return max(0, min(99, done * 100 // total)) if total > 0 else 0


# The statuses of the two jobs; their steps are declared by exchange.jobstates (IMPORT, EXPORT), whose
# states are these choices, and the database refuses any other (the check constraints below).
class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    VALIDATING = "validating", _("校验中")
    MAPPING = "mapping", _("待确认列")
    VALIDATED = "validated", _("待确认")
    IMPORTING = "importing", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ImportJob(models.Model):
    """One spreadsheet brought in: its columns mapped first (the header read, each column's field
    proposed and confirmed by the uploader), then validated (preview), written on confirmation,
    resumable (ADR 0033)."""

    Status = ImportStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("类型"), max_length=30, default="households")
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, verbose_name=_("导入人"))
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    file_path = models.CharField(max_length=300)
    original_name = models.CharField(_("文件名"), max_length=200)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(_("数据行"), default=0)
    valid_rows = models.PositiveIntegerField(_("有效行"), default=0)
    rejected_rows = models.PositiveIntegerField(_("错误行"), default=0)
    planned_create = models.PositiveIntegerField(_("将新增"), default=0)
    planned_update = models.PositiveIntegerField(_("将更新"), default=0)
    planned_unchanged = models.PositiveIntegerField(_("无变化"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理"), default=0)
    created = models.PositiveIntegerField(_("已新增"), default=0)
    updated = models.PositiveIntegerField(_("已更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变化"), default=0)
    errors_path = models.CharField(max_length=300, blank=True)
    error_sample = models.JSONField(_("错误示例"), default=list, blank=True)
    message = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)  # set: a failed job resumes the import
    # written every few seconds by the worker running the job (exchange.pulse); an old one means it died
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("运行次数"), default=0)  # each run owns the job by its number
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    purged_at = models.DateTimeField(_("文件删除时间"), null=True, blank=True)  # files gone by retention (ADR 0020)
    # the mapping step (ADR 0033): what the header reading proposed — {"title", "header_rows", "sheets",
    # "columns": [{"key", "header", "field", "source", "proposed", "samples", "letter", "repeated"}]}
    # (exchange.mappings.read_proposal); the mapping the uploader confirmed (header key -> field key,
    # "" = not imported; None until confirmed, and a job created with a mapping skips the step); and the
    # headers of the columns the check found not imported
    proposal = models.JSONField(_("列对应建议"), default=dict, blank=True)
    mapping = models.JSONField(_("列对应"), null=True, blank=True)
    unmapped = models.JSONField(_("未导入的列"), default=list, blank=True)
    # the judgements the check made (a village found by a county alias, a former name, or the town the
    # file's title names), shown on the preview before anything is written: {"count": n, "sample":
    # [[line, note], …]} (the first exchange.tasks.NOTE_SAMPLE)
    noted = models.JSONField(_("判断说明"), default=dict, blank=True)
    # the lines skipped as not households (exchange.household_import.report), shown beside the counts
    report = models.JSONField(_("校验说明"), default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("导入任务")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(status__in=ImportStatus.values), name="importjob_status_known")]

    def __str__(self) -> str:
        return self.original_name

    @property
    def progress_total(self) -> int:
        return self.valid_rows if self.status in (self.Status.IMPORTING, self.Status.DONE) else self.total_rows

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return clamped_percent(self.processed_rows, self.progress_total)

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.VALIDATING, self.Status.IMPORTING)


class ExportJob(models.Model):
    """A list written to .xlsx in the background; the user downloads it when it is ready."""

    Status = ExportStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("类型"), max_length=30, default="households")
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, verbose_name=_("导出人"))
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    params = models.JSONField(_("筛选条件"), default=dict)
    unmasked = models.BooleanField(_("完整号码"), default=False)
    reason = models.CharField(_("导出理由"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已写入"), default=0)
    file_path = models.CharField(max_length=300, blank=True)
    message = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("运行次数"), default=0)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    purged_at = models.DateTimeField(_("文件删除时间"), null=True, blank=True)  # the file gone by retention (ADR 0020)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("导出任务")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(status__in=ExportStatus.values), name="exportjob_status_known")]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return clamped_percent(self.processed_rows, self.total_rows)

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def filename(self) -> str:
        from exchange.exports import KINDS

        kind = KINDS.get(self.kind)
        title, suffix = (kind.filename, kind.suffix) if kind else (self.kind, ".xlsx")
        return f"{title}_{timezone.localtime(self.created_at):%Y%m%d_%H%M%S}{suffix}"


class ColumnMapping(models.Model):
    """A county's ledger shape, kept when an official confirms how its columns map to the archive
    (exchange.mappings): offered for the county's next import, and the shape of its ledger export."""

    region_code = models.CharField(_("县（区）代码"), max_length=12, unique=True)  # the county's 6 digits (or a shorter scope)
    # [[header text, field key or ""], ...] in the file's column order ("" = not imported)
    columns = models.JSONField(_("列对应"), default=list)
    header_rows = models.PositiveSmallIntegerField(_("表头行数"), default=1)
    layout = models.CharField(_("台账格式"), max_length=20, default="household")  # "household" or "person"
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, verbose_name=_("确认人"))
    updated_at = models.DateTimeField(_("确认时间"), auto_now=True)

    class Meta:
        verbose_name = _("台账列对应")

    def __str__(self) -> str:
        return self.region_code

    def as_mapping(self) -> dict[str, str]:
        """header key -> field key ("" = not imported), as exchange.ledger.headers.propose takes it."""
        from exchange.ledger.headers import header_key

        return {header_key(header): field for header, field in self.columns}
