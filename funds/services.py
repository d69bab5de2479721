"""Every write of subsidy funds: standards, allocations, disbursement batches (made by one person,
approved by another), the bank file, and the bank's return file matched line by line."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import require
from accounts.roles import Cap
from audit.access import record_access
from audit.services import record
from core.bulk import insert_instances, update_ids
from core.crypto import Unreadable
from core.errors import ConflictError
from funds import bankfile
from funds.models import Allocation, BankReturn, BatchStatus, DisbursementBatch, Payment, PaymentStatus, Stage, SubsidyStandard
from renovation import workflow
from renovation.models import Case

CENT = Decimal("0.01")
NUMBER_TRIES = 5  # a batch number taken by a batch made at the same moment: take the next, this many times
ADVANCE_FROM = workflow.UNDER_CONSTRUCTION


def standard_for(
    case: Case, on_year: int | None = None, standards: list[SubsidyStandard] | None = None
) -> SubsidyStandard | None:
    """The most specific standard for the case: longest region prefix, then mode, grade and category given.
    Pass the year's `standards` when asking for many cases (a batch) to read them once."""
    year = on_year or case.year
    candidates = standards if standards is not None else list(SubsidyStandard.objects.filter(year=year))
    categories: set[str] = set()
    if any(s.category for s in candidates):
        categories = set(case.household.categories.filter(end_date__isnull=True).values_list("code", flat=True))
    best, best_key = None, (-1, -1)
    for s in candidates:
        if s.year != year or not case.region_code.startswith(s.region_prefix):
            continue
        if (
            (s.grade and s.grade != case.grade)
            or (s.mode and s.mode != case.mode)
            or (s.category and s.category not in categories)
        ):
            continue
        key = (len(s.region_prefix), bool(s.mode) + bool(s.grade) + bool(s.category))
        if key > best_key:
            best, best_key = s, key
    return best


def save_standard(*, actor: User | None, data: dict[str, Any]) -> SubsidyStandard:
    require(actor, Cap.FUNDS, str(data["region_prefix"]).ljust(12, "0"))
    if Decimal(data["amount"]) <= 0 or not (0 <= Decimal(data.get("advance_ratio") or 0) <= 1):
        raise ValidationError(_("补助标准须大于 0，预拨比例在 0 到 1 之间。"))
    if not str(data.get("source_document", "")).strip():
        raise ValidationError({"source_document": _("请填写补助标准的依据文件。")})
    with transaction.atomic():
        standard = SubsidyStandard.objects.create(**data)
        record(
            "funds.standard",
            actor=actor,
            obj=standard,
            region_code=str(data["region_prefix"]).ljust(12, "0"),
            after={k: str(v) for k, v in data.items()},
        )
    return standard


def allocate(
    *,
    actor: User | None,
    county: str,
    year: int,
    level: str,
    document_no: str,
    issued_on: dt.date,
    amount: Decimal,
    note: str = "",
) -> Allocation:
    require(actor, Cap.FUNDS, county.ljust(12, "0"))
    if amount <= 0:
        raise ValidationError({"amount": _("下达金额须大于 0。")})
    if not document_no.strip():
        raise ValidationError({"document_no": _("请填写资金下达文号。")})
    with transaction.atomic():
        allocation = Allocation.objects.create(
            region_code=county.ljust(12, "0"),
            year=year,
            level=level,
            document_no=document_no.strip(),
            issued_on=issued_on,
            amount=amount.quantize(CENT),
            note=note.strip(),
            created_by=actor,
        )
        record(
            "funds.allocate",
            actor=actor,
            obj=allocation,
            region_code=allocation.region_code,
            after={"document_no": allocation.document_no, "amount": allocation.amount, "year": year},
        )
    return allocation


# --- disbursement batches -------------------------------------------------------------------------


@dataclass
class BatchPlan:
    batch: DisbursementBatch | None
    skipped: dict[int, str] = field(default_factory=dict)  # case id -> why it is not in the batch


def _amount(case: Case, stage: str, advanced: Decimal, standards: list[SubsidyStandard]) -> tuple[Decimal, str | None]:
    if case.subsidy is None:
        return Decimal(0), _("未确定补助金额")
    if stage == Stage.ADVANCE:
        standard = standard_for(case, standards=standards)
        ratio = standard.advance_ratio if standard else Decimal(0)
        if ratio <= 0:
            return Decimal(0), _("补助标准不允许开工预拨")
        return (case.subsidy * ratio).quantize(CENT, ROUND_HALF_UP), None
    return (case.subsidy - advanced).quantize(CENT), None


def _eligible(case: Case, stage: str) -> str | None:
    if stage == Stage.ADVANCE:
        return None if case.state in ADVANCE_FROM else _("未开工或已验收，不能预拨")
    return workflow.paid_ready(case)


def _payment(**values: Any) -> Payment:
    """A payment line with the household's numbers sealed anew to the payment's own row (a ciphertext
    is bound to its row: copying the household's would not open), when insert_instances gives it an id."""
    payment = Payment(**values)
    household = values["case"].household
    payment.payee_id = household.head_id
    payment.account = household.bank_account
    return payment


def build_batch(
    *, actor: User | None, county: str, year: int, stage: str = Stage.FINAL, case_ids: list[int] | None = None, name: str = ""
) -> BatchPlan:
    """A batch of payments for the county's cases that are due and not yet paid for this stage; a failed
    payment is paid again here (the old line is marked reissued)."""
    require(actor, Cap.PAY_MAKE, county.ljust(12, "0"))
    cases = (
        Case.objects.filter(region_code__startswith=county, year=year)
        .select_related("household")
        .only("id", "region_code", "household_id", "state", "mode", "subsidy", "year", "grade", "household__head_name",
              "household__head_id_enc", "household__head_id_hash", "household__bank_account_enc", "household__bank_account_hash",
              "household__bank_name")
    )  # fmt: skip
    if case_ids is not None:
        cases = cases.filter(pk__in=case_ids)
    live = set(
        Payment.objects.filter(case__in=cases, stage=stage, status__in=["pending", "paid"]).values_list("case_id", flat=True)
    )
    failed = {p.case_id: p for p in Payment.objects.filter(case__in=cases, stage=stage, status=PaymentStatus.FAILED)}
    advanced = dict(
        Payment.objects.filter(case__in=cases, stage=Stage.ADVANCE, status__in=["pending", "paid"])
        .values("case_id")
        .annotate(total=Sum("amount"))
        .values_list("case_id", "total")
    )
    plan = BatchPlan(None)
    standards = list(SubsidyStandard.objects.filter(year=year))
    rows = []
    for case in cases.order_by("region_code", "id").iterator(chunk_size=5000):
        if case.pk in live:
            continue
        reason = _eligible(case, stage)
        amount, problem = _amount(case, stage, advanced.get(case.pk, Decimal(0)), standards)
        household = case.household
        reason = reason or problem or (None if household.bank_account_enc else _("该户没有登记“一卡通”账号"))
        if not reason and (isinstance(household.head_id, Unreadable) or isinstance(household.bank_account, Unreadable)):
            reason = _("该户身份证号或“一卡通”账号无法解密，请核实后重新录入")
        if reason is None and amount <= 0:
            reason = _("应付金额为 0")
        if reason:
            if case_ids is not None:
                plan.skipped[case.pk] = reason
            continue
        rows.append((case, amount, failed.get(case.pk)))
    if not rows:
        return plan
    with transaction.atomic():
        batch = _numbered_batch(county.ljust(12, "0"), year, actor, name.strip())
        number = batch.number
        retried = [old.pk for _case, _amount, old in rows if old is not None]
        Payment.objects.filter(pk__in=retried).update(status=PaymentStatus.REISSUED)
        payments = [
            _payment(
                batch=batch,
                case=case,
                household_id=case.household_id,
                region_code=case.region_code,
                stage=stage,
                amount=amount,
                reference=f"AJ{year}{county[:6]}{number:03d}{n:06d}",
                payee_name=case.household.head_name,
                bank_name=case.household.bank_name,
                retry_of=old,
            )
            for n, (case, amount, old) in enumerate(rows, 1)
        ]
        try:
            with transaction.atomic():
                insert_instances(payments)  # COPY on PostgreSQL: 50,000 lines in a second or two
        except IntegrityError:  # another batch, made meanwhile, took some of these cases
            raise ConflictError(_("部分改造户已在另一批次中拨付，请刷新后重新生成批次。")) from None
        batch.total = sum((p.amount for p in payments), Decimal(0))
        batch.count = len(payments)
        batch.save(update_fields=["total", "count"])
        record(
            "funds.batch",
            actor=actor,
            obj=batch,
            region_code=batch.region_code,
            after={"name": batch.name, "stage": stage, "count": batch.count, "total": batch.total},
        )
    plan.batch = batch
    return plan


def _numbered_batch(region_code: str, year: int, actor: User | None, name: str) -> DisbursementBatch:
    """The next batch number of the county and year (max + 1). Two batches made at once read the same
    maximum; the unique constraint refuses the second, which takes the next number in a savepoint."""
    for _attempt in range(NUMBER_TRIES):
        number = (DisbursementBatch.objects.filter(region_code=region_code, year=year).aggregate(n=Max("number"))["n"] or 0) + 1
        try:
            with transaction.atomic():
                return DisbursementBatch.objects.create(
                    region_code=region_code,
                    year=year,
                    number=number,
                    made_by=actor,
                    name=name or _("%(y)s年第%(n)d批补助资金") % {"y": year, "n": number},
                )
        except IntegrityError:
            continue
    raise ConflictError(_("其他人正在同时生成本县的拨付批次，请稍后重试。"))


def approve_batch(*, actor: User, batch_id: int) -> DisbursementBatch:
    """The checker, a different person from the maker, approves the batch for the bank."""
    with transaction.atomic():
        batch = DisbursementBatch.objects.select_for_update().get(pk=batch_id)
        require(actor, Cap.PAY_CHECK, batch.region_code)
        if batch.status != BatchStatus.DRAFT:
            raise ValidationError(_("该批次已审核。"))
        if batch.made_by_id == actor.pk:
            raise PermissionDenied(_("拨付批次须由制单人以外的另一人审核。"))
        batch.status, batch.checked_by, batch.approved_at = BatchStatus.APPROVED, actor, timezone.now()
        batch.save(update_fields=["status", "checked_by", "approved_at"])
        record(
            "funds.approve",
            actor=actor,
            obj=batch,
            region_code=batch.region_code,
            after={"count": batch.count, "total": batch.total},
        )
    return batch


def issue_bank_file(*, actor: User, batch_id: int) -> DisbursementBatch:
    """Issue the approved batch to the bank (生成银行代发文件): the batch then counts as sent, audited.
    This is the only step that moves a batch to "sent"; downloading the file afterwards changes nothing."""
    with transaction.atomic():
        batch = DisbursementBatch.objects.select_for_update().get(pk=batch_id)
        require(actor, Cap.PAY_MAKE, batch.region_code)
        if batch.status == BatchStatus.DRAFT:
            raise ValidationError(_("拨付批次须先经另一人审核，才能生成银行文件。"))
        if batch.status != BatchStatus.APPROVED:
            raise ValidationError(_("该批次已生成银行代发文件，请直接下载。"))
        bad = bankfile.unreadable(batch)
        if bad:
            raise ValidationError(
                _("拨付明细 %(r)s 的账号或身份证号无法解密，不能生成银行文件：请核实该户档案") % {"r": "、".join(bad[:5])}
            )
        batch.status = BatchStatus.SENT
        batch.save(update_fields=["status"])
        record(
            "funds.bank_file",
            actor=actor,
            obj=batch,
            region_code=batch.region_code,
            before={"status": BatchStatus.APPROVED},
            after={"status": BatchStatus.SENT, "count": batch.count, "total": batch.total},
        )
    return batch


def bank_file(*, actor: User, batch_id: int, path: Path) -> int:
    """Write the payment file of a batch already issued (`issue_bank_file`); reads only, never moves the batch.
    The file holds whole ID and account numbers, so the download is recorded as a read of personal data."""
    batch = DisbursementBatch.objects.get(pk=batch_id)
    require(actor, Cap.PAY_MAKE, batch.region_code)
    if batch.status not in (BatchStatus.SENT, BatchStatus.CLOSED):
        raise ValidationError(_("该批次尚未生成银行代发文件：请先在批次页点击“生成银行代发文件”，再下载。"))
    count = bankfile.write(batch, path)
    record_access(
        actor=actor,
        object_type=DisbursementBatch._meta.label_lower,
        object_ids=[batch.pk],
        fields=["payee_name", "payee_id", "account"],
        path=f"bank{path.suffix}",
    )
    return count


@dataclass
class ReturnResult:
    bank_return: BankReturn
    already: bool = False


def import_return(*, actor: User, batch_id: int, path: Path, original_name: str) -> ReturnResult:
    """Match the bank's return file line by line: paid lines close their payment, failed ones go to the
    correction list with the bank's reason, anything that matches nothing is reported, never guessed."""
    batch = DisbursementBatch.objects.get(pk=batch_id)
    require(actor, Cap.PAY_MAKE, batch.region_code)
    if batch.status in (BatchStatus.DRAFT, BatchStatus.APPROVED):
        raise ValidationError(_("该批次尚未交银行，不能导入回盘。"))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    seen = BankReturn.objects.filter(batch=batch, sha256=digest).first()
    if seen is not None:
        return ReturnResult(seen, already=True)
    try:
        lines = list(bankfile.read_return(path, original_name))
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    fields = ("id", "reference", "amount", "account_hash", "payee_name", "status", "case_id", "stage")
    payments = {
        p.reference: p for p in Payment.objects.filter(batch=batch).only(*fields)
    }  # not batch.payments: it reads batch_id
    today = timezone.localdate()
    paid_ids: list[int] = []
    failed: list[Payment] = []
    unmatched: list[dict[str, Any]] = []
    for line in lines:
        payment = payments.get(line.reference)
        problem = (_("业务参考号不属于本批次") if payment is None else bankfile.mismatch(payment, line)) or (
            _("无法识别的处理结果") if line.paid is None else None)  # fmt: skip
        if problem is None and payment is not None and payment.status != PaymentStatus.PENDING:
            same = (payment.status == PaymentStatus.PAID) == bool(line.paid)
            if same:
                continue  # a line seen before (a second return file with overlapping lines)
            problem = _("该笔已处理为“%(s)s”，与本次回盘不一致") % {"s": payment.get_status_display()}
        if problem is not None or payment is None:
            unmatched.append({"line": line.line, "reference": line.reference, "reason": problem, "raw": line.raw})
            continue
        if line.paid:
            paid_ids.append(payment.pk)
        else:
            payment.bank_message = (line.reason or _("银行未说明原因"))[:200]
            failed.append(payment)
        payment.status = PaymentStatus.PAID if line.paid else PaymentStatus.FAILED  # a repeated line in the same file counts once
    with transaction.atomic():
        update_ids(
            Payment, paid_ids, {"status": PaymentStatus.PAID, "confirmed_on": today}, where={"status": PaymentStatus.PENDING}
        )
        for p in failed:
            p.status = PaymentStatus.FAILED
        Payment.objects.bulk_update(failed, ["status", "bank_message"], batch_size=2000)
        bank_return = BankReturn.objects.create(
            batch=batch,
            file_name=original_name[:200],
            sha256=digest,
            lines=len(lines),
            paid=len(paid_ids),
            failed=len(failed),
            unmatched=unmatched,
            imported_by=actor,
        )
        if not batch.payments.filter(status=PaymentStatus.PENDING).exists():
            DisbursementBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.CLOSED)
        _close_paid_cases(batch, today)
        record("funds.bank_return", actor=actor, obj=batch, region_code=batch.region_code,
               after={"file": original_name, "lines": len(lines), "paid": len(paid_ids), "failed": len(failed),
                      "unmatched": len(unmatched)})  # fmt: skip
    return ReturnResult(bank_return)


def _close_paid_cases(batch: DisbursementBatch, today: dt.date) -> None:
    """Cases whose final payment the bank confirmed are paid (renovation's last money step)."""
    from renovation.services import mark_paid_many

    confirmed = Payment.objects.filter(batch=batch, stage=Stage.FINAL, status=PaymentStatus.PAID).values("case_id")
    mark_paid_many(cases=Case.objects.filter(pk__in=confirmed), on=today)
