"""Subsidy funds (domain 7.4): standards, allocations from above, disbursement batches of payments to
households, the bank's return files. Money is Decimal yuan with two places, never float."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.crypto import Sealed, SecretField
from core.scoping import ScopedQuerySet
from funds import workflow
from renovation.models import Mode


def money(label: Any, **kwargs: Any) -> models.DecimalField:  # type: ignore[type-arg]
    """Yuan with two places (up to a trillion)."""
    return models.DecimalField(label, max_digits=14, decimal_places=2, **kwargs)  # type: ignore[arg-type]


class SubsidyStandard(models.Model):
    """How much a case gets, by year, region (code prefix, most specific wins), category, grade or mode."""

    year = models.PositiveSmallIntegerField(_("年度"))
    region_prefix = models.CharField(_("适用区划"), max_length=12)
    category = models.CharField(_("农户类别"), max_length=40, blank=True, help_text=_("空 = 所有重点对象"))
    grade = models.CharField(_("危房等级"), max_length=1, blank=True)
    mode = models.CharField(_("改造方式"), max_length=20, blank=True)
    amount = money(_("补助标准（元/户）"))
    advance_ratio = models.DecimalField(
        _("开工预拨比例"), max_digits=4, decimal_places=2, default=0, help_text=_("0–1；如 0.5 表示开工时预拨 50%")
    )
    source_document = models.CharField(_("依据文件"), max_length=200)

    class Meta:
        verbose_name = _("补助标准")
        ordering = ["-year", "region_prefix", "grade", "mode"]

    def __str__(self) -> str:
        return f"{self.year} {self.region_prefix} {self.grade or self.mode} {self.amount}"


class Allocation(models.Model):
    """Money sent down 资金下达: a document number, a date, an amount, for a county and year."""

    region_code = models.CharField(max_length=12)
    year = models.PositiveSmallIntegerField(_("资金年度"))
    level = models.CharField(
        _("资金级别"),
        max_length=12,
        choices=[("central", _("中央")), ("province", _("省级")), ("city", _("市级")), ("county", _("县级"))],
    )
    document_no = models.CharField(_("文号"), max_length=100)
    issued_on = models.DateField(_("下达日期"))
    amount = money(_("金额（元）"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("资金下达")
        ordering = ["issued_on", "id"]

    def __str__(self) -> str:
        return f"{self.document_no} {self.amount}"


class BatchStatus:
    """The batch's states by name; their labels and steps are declared once, in funds.workflow.BATCH."""

    DRAFT, APPROVED, SENT, RETURNED = workflow.DRAFT, workflow.APPROVED, workflow.SENT, workflow.RETURNED
    CLOSED, CANCELLED = workflow.CLOSED, workflow.CANCELLED


class DisbursementBatch(models.Model):
    region_code = models.CharField(max_length=12)
    year = models.PositiveSmallIntegerField(_("年度"))
    number = models.PositiveIntegerField(_("批次"))
    name = models.CharField(_("批次名称"), max_length=100)
    status = models.CharField(_("状态"), max_length=10, choices=workflow.BATCH.choices, default=workflow.BATCH.initial)
    made_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    checked_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    total = money(_("金额合计（元）"), default=0)
    count = models.PositiveIntegerField(_("笔数"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("拨付批次")
        ordering = ["-year", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["region_code", "year", "number"], name="batch_number_once"),
            workflow.BATCH.constraint("batch_status_known"),
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.TextChoices):
    ADVANCE = "advance", _("开工预拨")
    FINAL = "final", _("验收后拨付")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("待银行确认")
    PAID = "paid", _("已到账")
    FAILED = "failed", _("失败")
    REISSUED = "reissued", _("失败已重发")
    CANCELLED = "cancelled", _("批次已作废")


class Payment(Sealed):
    """One line to the bank. At most one live payment per case and stage (failed ones may be paid again)."""

    batch = models.ForeignKey(DisbursementBatch, on_delete=models.PROTECT, related_name="payments")
    case = models.ForeignKey("renovation.Case", on_delete=models.PROTECT, related_name="payments")
    household = models.ForeignKey("households.Household", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=12)
    stage = models.CharField(_("拨付阶段"), max_length=8, choices=Stage.choices)
    amount = money(_("金额（元）"))
    reference = models.CharField(_("业务参考号"), max_length=32, unique=True)
    payee_name = models.CharField(_("户名"), max_length=50)
    payee_id_enc = models.BinaryField(editable=False, default=b"")
    payee_id_hash = models.CharField(max_length=64, blank=True, editable=False)
    account_enc = models.BinaryField(editable=False, default=b"")
    account_hash = models.CharField(max_length=64, blank=True, editable=False)
    bank_name = models.CharField(_("开户银行"), max_length=60, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    bank_message = models.CharField(_("银行反馈"), max_length=200, blank=True)
    confirmed_on = models.DateField(_("到账日期"), null=True, blank=True)
    retry_of = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="retry")

    payee_id = SecretField()
    account = SecretField()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("拨付明细")
        indexes = [models.Index(fields=["region_code", "status"], name="payment_region_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "stage"], condition=Q(status__in=["pending", "paid"]), name="payment_once_per_case_stage"
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class BankReturn(models.Model):
    """A return file 回盘 imported for a batch; the same file twice is recognised by its hash."""

    batch = models.ForeignKey(DisbursementBatch, on_delete=models.PROTECT, related_name="returns")
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    lines = models.PositiveIntegerField(default=0)
    paid = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # [{"line": n, "reference", "result": the bank's words, "reason", "raw": [...], "decided": {paid, reason, by, at}}]
    unmatched = models.JSONField(default=list)
    waiting = models.JSONField(
        default=list
    )  # lines the bank reports as still in progress (处理中): [{"line", "reference", "result"}]
    imported_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "sha256"], name="bank_return_once")]

    def __str__(self) -> str:
        return self.file_name


class SubsidyException(models.Model):
    """An amount above the applicable standard (超标准补助), with its reason and document number, requested by
    one person and approved or refused by a second person at county level (funds.standards, funds.workflow)."""

    case = models.ForeignKey("renovation.Case", on_delete=models.PROTECT, related_name="subsidy_exceptions")
    region_code = models.CharField(max_length=12)
    mode = models.CharField(_("改造方式"), max_length=20, choices=Mode.choices)  # the ceiling holds for this mode only
    amount = money(_("申请补助金额（元）"))
    standard_amount = money(_("适用补助标准（元）"), null=True, blank=True)
    reason = models.CharField(_("超标准理由"), max_length=300)
    document_no = models.CharField(_("依据文号"), max_length=100)
    state = models.CharField(_("状态"), max_length=10, choices=workflow.EXCEPTION.choices, default=workflow.EXCEPTION.initial)
    requested_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("超标准补助审批")
        ordering = ["-requested_at", "-id"]
        constraints = [
            workflow.EXCEPTION.constraint("subsidy_exception_state_known"),
            models.UniqueConstraint(fields=["case"], condition=Q(state="pending"), name="subsidy_exception_one_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.amount}"


class BatchExclusion(models.Model):
    """An accepted case a batch left out, and why (no account, above the standard, shared account …)."""

    batch = models.ForeignKey(DisbursementBatch, on_delete=models.CASCADE, related_name="exclusions")
    case = models.ForeignKey("renovation.Case", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=12)
    payee_name = models.CharField(_("户主"), max_length=50, blank=True)
    reason = models.CharField(_("未纳入原因"), max_length=300)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("未纳入批次的改造户")
        ordering = ["region_code", "case_id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.reason}"
