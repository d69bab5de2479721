"""Every write of subsidy funds: standards, allocations, disbursement batches (made by one person,
approved by another), the bank file, and the bank's return file matched line by line."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Sum
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
from funds import standards as standards_rule
from funds.models import (
    Allocation,
    BankReturn,
    BatchExclusion,
    BatchStatus,
    DisbursementBatch,
    Payment,
    PaymentStatus,
    Stage,
    SubsidyStandard,
)
from funds.workflow import AT_BANK, BATCH, check_who
from renovation import workflow
from renovation.models import Case

CENT = Decimal("0.01")
NUMBER_TRIES = 5  # a batch number taken by a batch made at the same moment: take the next, this many times
ADVANCE_FROM = workflow.UNDER_CONSTRUCTION


def standard_for(
    case: Case, on_year: int | None = None, standards: list[SubsidyStandard] | None = None
) -> SubsidyStandard | None:
    """The case's standard (funds.standards.standard_for, the one rule)."""
    return standards_rule.standard_for(case, on_year, standards)


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

LIVE = (PaymentStatus.PENDING, PaymentStatus.PAID)
PAYABLE_GRADES = ("C", "D")


@dataclass
class BatchPlan:
    batch: DisbursementBatch | None
    skipped: dict[int, str] = field(default_factory=dict)  # case id -> why it is not in the batch


@dataclass
class _Context:
    """What a batch reads once for all its cases: standards, exceptions, categories, advances, the screens."""

    stage: str
    standards: list[SubsidyStandard]
    exceptions: standards_rule.Exceptions
    categories: dict[int, set[str]]
    advanced: dict[int, Decimal]
    paid_houses: dict[int, list[tuple[int, int, str]]]  # house id -> (case id, household id, payee) with money
    shared: dict[str, int]  # account blind index -> how many households hold it


def _context(cases: Any, stage: str, year: int) -> _Context:
    from households.models import Household

    standards = list(SubsidyStandard.objects.filter(year=year))
    categories = standards_rule.categories_of(cases.values("household_id")) if any(s.category for s in standards) else {}
    advanced = dict(
        Payment.objects.filter(case__in=cases, stage=Stage.ADVANCE, status__in=LIVE)
        .values("case_id")
        .annotate(total=Sum("amount"))
        .values_list("case_id", "total")
    )
    paid_houses: dict[int, list[tuple[int, int, str]]] = {}
    others = Payment.objects.filter(status__in=LIVE, case__house_id__in=cases.values("house_id")).values_list(
        "case__house_id", "case_id", "household_id", "payee_name"
    )
    for house_id, case_id, household_id, payee in others.distinct():
        paid_houses.setdefault(house_id, []).append((case_id, household_id, payee))
    shared = dict(
        Household.objects.filter(bank_account_hash__in=cases.exclude(household__bank_account_hash="").values(
            "household__bank_account_hash"))
        .values("bank_account_hash")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("bank_account_hash", "n")
    )  # fmt: skip
    return _Context(stage, standards, standards_rule.Exceptions.of(cases), categories, advanced, paid_houses, shared)


def _amount(case: Case, ctx: _Context) -> tuple[Decimal, str | None]:
    """What the case is paid now: within its standard (or approved exception), advances and final never above it."""
    problem = standards_rule.problem(
        case, case.subsidy, standards=ctx.standards, categories=ctx.categories.get(case.household_id, set()),
        exceptions=ctx.exceptions,
    )  # fmt: skip
    if problem or case.subsidy is None:
        return Decimal(0), problem or _("未确定补助金额")
    advanced = (ctx.advanced.get(case.pk) or Decimal(0)).quantize(CENT)
    if ctx.stage == Stage.ADVANCE:
        standard = standards_rule.standard_for(case, standards=ctx.standards, categories=ctx.categories.get(case.household_id))
        ratio = standard.advance_ratio if standard else Decimal(0)
        if ratio <= 0:
            return Decimal(0), _("补助标准不允许开工预拨")
        return (case.subsidy * ratio).quantize(CENT, ROUND_HALF_UP), None
    if advanced > case.subsidy:
        return Decimal(0), _("已预拨 %(a)s 元，超过补助金额 %(s)s 元，须核实后处理") % {"a": advanced, "s": case.subsidy}
    return (case.subsidy - advanced).quantize(CENT), None


def _eligible(case: Case, stage: str) -> str | None:
    if stage == Stage.ADVANCE:
        return None if case.state in ADVANCE_FROM else _("未开工或已验收，不能预拨")
    return workflow.paid_ready(case)


def _screen(case: Case, ctx: _Context) -> str | None:
    """The fraud screens: the house must be C or D, not paid to another case, the account not shared."""
    if case.grade not in PAYABLE_GRADES:
        return _("该户房屋鉴定等级为“%(g)s”，不是C级或D级危房，不能拨付改造补助") % {"g": case.grade or _("未鉴定")}
    for other_case, household_id, payee in ctx.paid_houses.get(case.house_id, []):
        if other_case == case.pk:
            continue
        if household_id == case.household_id:
            return _("该户已就同一房屋领取过补助（改造户编号 %(c)s），一户一房只补助一次") % {"c": other_case}
        return _("同一房屋已由另一户（户主 %(n)s）领取补助") % {"n": payee}
    household = case.household
    if household.bank_account_hash and ctx.shared.get(household.bank_account_hash, 0) > 1:
        return _("“一卡通”账号与其他 %(n)d 户共用，须核实后再拨付") % {"n": ctx.shared[household.bank_account_hash] - 1}
    return None


def _worth_reporting(case: Case, stage: str, asked: bool) -> bool:
    """The skipped cases a batch lists: all of those asked for by id; otherwise those waiting for this money."""
    if asked:
        return True
    return case.state in (ADVANCE_FROM if stage == Stage.ADVANCE else workflow.PAY.sources)


def _payment(**values: Any) -> Payment:
    """A payment line with the household's numbers sealed anew to the payment's own row (a ciphertext
    is bound to its row: copying the household's would not open), when insert_instances gives it an id."""
    payment = Payment(**values)
    household = values["case"].household
    payment.payee_id = household.head_id
    payment.account = household.bank_account
    return payment


def plan_rows(
    cases: Any, stage: str, year: int, asked: bool
) -> tuple[list[tuple[Case, Decimal, Payment | None]], dict[int, str], dict[int, Case]]:
    """The lines a batch would pay, and every case it leaves out with the reason (the one batch rule)."""
    live = dict(Payment.objects.filter(case__in=cases, stage=stage, status__in=LIVE).values_list("case_id", "batch__name"))
    failed = {p.case_id: p for p in Payment.objects.filter(case__in=cases, stage=stage, status=PaymentStatus.FAILED)}
    ctx = _context(cases, stage, year)
    rows: list[tuple[Case, Decimal, Payment | None]] = []
    skipped: dict[int, str] = {}
    left_out: dict[int, Case] = {}
    houses: set[int] = set()
    for case in cases.order_by("region_code", "id").iterator(chunk_size=5000):
        household = case.household
        reason: str | None = None
        amount = Decimal(0)
        if case.pk in live:
            reason = _("已在“%(b)s”中拨付") % {"b": live[case.pk]}
        reason = reason or _eligible(case, stage) or _screen(case, ctx)
        if reason is None:
            amount, reason = _amount(case, ctx)
        if reason is None and not household.bank_account_enc:
            reason = _("该户没有登记“一卡通”账号")
        if reason is None and (isinstance(household.head_id, Unreadable) or isinstance(household.bank_account, Unreadable)):
            reason = _("该户身份证号或“一卡通”账号无法解密，请核实后重新录入")
        if reason is None and amount <= 0:
            reason = _("应付金额为 0")
        if reason is None and case.house_id in houses:
            reason = _("同一房屋在本批次中已有另一户拨付")
        if reason:
            if _worth_reporting(case, stage, asked):
                skipped[case.pk] = reason
                left_out[case.pk] = case
            continue
        houses.add(case.house_id)
        rows.append((case, amount, failed.get(case.pk)))
    return rows, skipped, left_out


def build_batch(
    *, actor: User | None, county: str, year: int, stage: str = Stage.FINAL, case_ids: list[int] | None = None, name: str = ""
) -> BatchPlan:
    """A batch of payments for the county's cases that are due and not yet paid for this stage; a failed
    payment is paid again here (the old line is marked reissued). Every case waiting for this money that
    the batch leaves out is kept with the reason (`BatchExclusion`), shown on the batch page, in its Excel
    and in the API."""
    require(actor, Cap.PAY_MAKE, county.ljust(12, "0"))
    if stage not in Stage.values:
        raise ValidationError(_("请选择拨付阶段。"))
    cases = (
        Case.objects.filter(region_code__startswith=county, year=year)
        .select_related("household")
        .only("id", "region_code", "household_id", "house_id", "state", "mode", "subsidy", "year", "grade",
              "household__head_name", "household__head_id_enc", "household__head_id_hash", "household__bank_account_enc",
              "household__bank_account_hash", "household__bank_name")
    )  # fmt: skip
    if case_ids is not None:
        cases = cases.filter(pk__in=case_ids)
    rows, skipped, left_out = plan_rows(cases, stage, year, case_ids is not None)
    plan = BatchPlan(None, skipped)
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
        BatchExclusion.objects.bulk_create(
            [
                BatchExclusion(batch=batch, case_id=pk, region_code=case.region_code, payee_name=case.household.head_name,
                               reason=skipped[pk][:300])
                for pk, case in left_out.items()
            ],
            batch_size=5000,
        )  # fmt: skip
        batch.total = sum((p.amount for p in payments), Decimal(0))
        batch.count = len(payments)
        batch.save(update_fields=["total", "count"])
        record(
            "funds.batch",
            actor=actor,
            obj=batch,
            region_code=batch.region_code,
            after={"name": batch.name, "stage": stage, "count": batch.count, "total": batch.total, "left_out": len(skipped)},
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


def approval_problems(batch: DisbursementBatch) -> list[str]:
    """Each line of the batch checked again as the checker approves it: the case still due for this money,
    the subsidy within its standard or approved exception, and all its live payments (advance and final,
    in every batch) together never above the subsidy. Returns "reference: reason" for each line refused."""
    lines = Payment.objects.filter(batch=batch, status=PaymentStatus.PENDING)
    cases = Case.objects.filter(pk__in=lines.values("case_id")).only(
        "id", "region_code", "household_id", "state", "mode", "subsidy", "year", "grade"
    )
    standards = list(SubsidyStandard.objects.filter(year=batch.year))
    exceptions = standards_rule.Exceptions.of(cases)
    categories = standards_rule.categories_of(cases.values("household_id")) if any(s.category for s in standards) else {}
    totals = dict(
        Payment.objects.filter(case__in=cases, status__in=LIVE)
        .values("case_id")
        .annotate(t=Sum("amount"))
        .values_list("case_id", "t")
    )
    by_id = {c.pk: c for c in cases.iterator(chunk_size=5000)}
    out: list[str] = []
    for reference, case_id, stage in lines.order_by("id").values_list("reference", "case_id", "stage").iterator(chunk_size=5000):
        case = by_id[case_id]
        reason = _eligible(case, stage) or standards_rule.problem(
            case, case.subsidy, standards=standards, categories=categories.get(case.household_id, set()), exceptions=exceptions
        )
        total = (totals.get(case_id) or Decimal(0)).quantize(CENT)  # SQLite's SUM comes back without its places
        if reason is None and case.subsidy is not None and total > case.subsidy:
            reason = _("预拨与拨付合计 %(t)s 元超过补助金额 %(s)s 元") % {"t": total, "s": case.subsidy}
        if reason:
            out.append(f"{reference}：{reason}")
    return out


def approve_batch(*, actor: User, batch_id: int) -> DisbursementBatch:
    """The checker, a different person from the maker, approves the batch for the bank, each line checked again."""
    with transaction.atomic():
        batch = DisbursementBatch.objects.select_for_update().get(pk=batch_id)
        step = check_who(BATCH, "approve", actor, batch.region_code, batch.made_by_id)
        if batch.status != BatchStatus.DRAFT:
            raise ValidationError(_("该批次已审核。"))
        reasons = BATCH.reasons(batch, step)
        if reasons:
            raise ValidationError(reasons)
        refused = approval_problems(batch)
        if refused:
            raise ValidationError(
                _("该批次有 %(n)d 笔不能审核，请制单人作废该批次、核实后重新生成：%(l)s")
                % {"n": len(refused), "l": "；".join(refused[:5])}
            )
        BATCH.move_one(batch, "approve", checked_by=actor, approved_at=timezone.now())
        batch.checked_by = actor
        record(
            "funds.approve",
            actor=actor,
            obj=batch,
            region_code=batch.region_code,
            after={"count": batch.count, "total": batch.total},
        )
    return batch


def cancel_batch(*, actor: User, batch_id: int, reason: str) -> DisbursementBatch:
    """Cancel a draft the checker will not approve: its lines are released (a failed line it paid again is
    failed again, on the correction list), so the cases can go into a new batch once corrected. Audited."""
    with transaction.atomic():
        batch = DisbursementBatch.objects.select_for_update().get(pk=batch_id)
        step = check_who(BATCH, "cancel", actor, batch.region_code, None)
        if reasons := BATCH.reasons(batch, step):
            raise ValidationError(reasons)
        if not reason.strip():
            raise ValidationError({"reason": _("请写明作废原因。")})
        lines = Payment.objects.filter(batch=batch)
        Payment.objects.filter(pk__in=lines.exclude(retry_of=None).values("retry_of_id")).update(status=PaymentStatus.FAILED)
        lines.update(status=PaymentStatus.CANCELLED, retry_of=None)  # not-a-state-write: Payment (freed)
        BATCH.move_one(batch, "cancel")
        after = {"status": BatchStatus.CANCELLED, "reason": reason.strip(), "count": batch.count, "total": batch.total}
        record("funds.cancel", actor=actor, obj=batch, region_code=batch.region_code, before={"status": BatchStatus.DRAFT},
               after=after)  # fmt: skip
    return batch


def issue_bank_file(*, actor: User, batch_id: int) -> DisbursementBatch:
    """Issue the approved batch to the bank (生成银行代发文件): the batch then counts as sent, audited.
    This is the only step that moves a batch to "sent"; downloading the file afterwards changes nothing."""
    with transaction.atomic():
        batch = DisbursementBatch.objects.select_for_update().get(pk=batch_id)
        check_who(BATCH, "issue", actor, batch.region_code, batch.made_by_id)
        if batch.status == BatchStatus.DRAFT:
            raise ValidationError(_("拨付批次须先经另一人审核，才能生成银行文件。"))
        if batch.status != BatchStatus.APPROVED:
            raise ValidationError(_("该批次已生成银行代发文件，请直接下载。"))
        bad = bankfile.unreadable(batch)
        if bad:
            raise ValidationError(
                _("拨付明细 %(r)s 的账号或身份证号无法解密，不能生成银行文件：请核实该户档案") % {"r": "、".join(bad[:5])}
            )
        BATCH.move_one(batch, "issue")
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
    if batch.status not in (BatchStatus.SENT, BatchStatus.RETURNED, BatchStatus.CLOSED):
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


def _line_entry(line: bankfile.ReturnLine, reason: str) -> dict[str, Any]:
    return {"line": line.line, "reference": line.reference, "result": line.result, "reason": reason, "raw": line.raw}


def import_return(*, actor: User, batch_id: int, path: Path, original_name: str) -> ReturnResult:
    """Match the bank's return file line by line: paid lines close their payment, failed ones go to the
    correction list with the bank's reason, lines still in progress (处理中) are reported and stay pending,
    and anything that matches nothing or whose result the bank's word table does not know is kept
    unmatched, with the bank's text, for a person to decide (`decide_line`), never guessed."""
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
    fields = ("id", "reference", "amount", "account_hash", "payee_name", "status", "case_id", "stage", "bank_name")
    payments = {
        p.reference: p for p in Payment.objects.filter(batch=batch).only(*fields)
    }  # not batch.payments: it reads batch_id
    today = timezone.localdate()
    paid_ids: list[int] = []
    failed: list[Payment] = []
    unmatched: list[dict[str, Any]] = []
    waiting: list[dict[str, Any]] = []
    for line in lines:
        payment = payments.get(line.reference)
        if payment is None:
            unmatched.append(_line_entry(line, _("业务参考号不属于本批次")))
            continue
        if problem := bankfile.mismatch(payment, line):
            unmatched.append(_line_entry(line, problem))
            continue
        result = bankfile.outcome(line.result, payment.bank_name)
        if result is None:
            unmatched.append(_line_entry(line, _("无法识别的处理结果“%(r)s”，请人工核实后处理") % {"r": line.result}))
            continue
        if payment.status != PaymentStatus.PENDING:
            if (result == bankfile.PAID and payment.status == PaymentStatus.PAID) or (
                result == bankfile.FAILED and payment.status == PaymentStatus.FAILED
            ):
                continue  # a line seen before (a second return file with overlapping lines)
            unmatched.append(_line_entry(line, _("该笔已处理为“%(s)s”，与本次回盘不一致") % {"s": payment.get_status_display()}))
            continue
        if result == bankfile.WAITING:
            waiting.append({"line": line.line, "reference": line.reference, "result": line.result})
            continue
        if result == bankfile.PAID:
            paid_ids.append(payment.pk)
            payment.status = PaymentStatus.PAID  # a repeated line in the same file counts once; not-a-state-write: Payment
        else:
            payment.bank_message = (line.reason or _("银行未说明原因"))[:200]
            payment.status = PaymentStatus.FAILED  # not-a-state-write: Payment
            failed.append(payment)
    with transaction.atomic():
        update_ids(
            Payment, paid_ids, {"status": PaymentStatus.PAID, "confirmed_on": today}, where={"status": PaymentStatus.PENDING}
        )
        Payment.objects.bulk_update(failed, ["status", "bank_message"], batch_size=2000)
        bank_return = BankReturn.objects.create(
            batch=batch,
            file_name=original_name[:200],
            sha256=digest,
            lines=len(lines),
            paid=len(paid_ids),
            failed=len(failed),
            unmatched=unmatched,
            waiting=waiting,
            imported_by=actor,
        )
        _settle(batch, today, actor)
        record("funds.bank_return", actor=actor, obj=batch, region_code=batch.region_code,
               after={"file": original_name, "lines": len(lines), "paid": len(paid_ids), "failed": len(failed),
                      "waiting": len(waiting), "unmatched": len(unmatched)})  # fmt: skip
    return ReturnResult(bank_return)


def _settle(batch: DisbursementBatch, today: dt.date, actor: User | None) -> None:
    """After a return file or a decided line: the batch is closed when no line waits for the bank, else
    returned; cases whose final payment the bank confirmed are paid, in the name of the person who acted."""
    if batch.status in AT_BANK:
        waiting = Payment.objects.filter(batch=batch, status=PaymentStatus.PENDING).exists()
        BATCH.move(DisbursementBatch.objects.filter(pk=batch.pk), "return" if waiting else "close")
    _close_paid_cases(batch, today, actor)


def _close_paid_cases(batch: DisbursementBatch, today: dt.date, actor: User | None) -> None:
    """Cases whose final payment the bank confirmed are paid (renovation's last money step)."""
    from renovation.services import mark_paid_many

    confirmed = Payment.objects.filter(batch=batch, stage=Stage.FINAL, status=PaymentStatus.PAID).values("case_id")
    mark_paid_many(cases=Case.objects.filter(pk__in=confirmed), on=today, actor=actor)


def decide_line(*, actor: User, return_id: int, line: int, paid: bool, reason: str) -> Payment:
    """A person decides a line the matcher left unmatched (an unknown result word, say), having checked with
    the bank: paid or failed, with the reason; audited. Only a line naming a payment of the batch still
    waiting for the bank can be decided, once."""
    if not reason.strip():
        raise ValidationError({"reason": _("请写明判定依据（如与银行核实的情况）。")})
    with transaction.atomic():
        bank_return = BankReturn.objects.select_for_update().select_related("batch").filter(pk=return_id).first()
        if bank_return is None or (actor is not None and not actor.covers(bank_return.batch.region_code)):
            raise ValidationError(_("找不到该回盘文件，或不在您的管辖范围内。"))
        batch = bank_return.batch
        require(actor, Cap.PAY_MAKE, batch.region_code)
        entry = next((e for e in bank_return.unmatched if e.get("line") == line), None)
        if entry is None:
            raise ValidationError(_("回盘文件中没有第 %(n)d 行的待处理记录。") % {"n": line})
        if entry.get("decided"):
            raise ValidationError(_("该行已于 %(t)s 处理。") % {"t": entry["decided"].get("at", "")})
        payment = Payment.objects.select_for_update().filter(batch=batch, reference=entry.get("reference", "")).first()
        if payment is None or payment.status != PaymentStatus.PENDING:
            raise ValidationError(_("该行的业务参考号不是本批次中待银行确认的拨付明细，不能判定。"))
        today = timezone.localdate()
        if paid:
            payment.status, payment.confirmed_on = PaymentStatus.PAID, today  # not-a-state-write: Payment
        else:
            payment.status, payment.bank_message = PaymentStatus.FAILED, reason.strip()[:200]  # not-a-state-write: Payment
        payment.save(update_fields=["status", "confirmed_on", "bank_message"])
        entry["decided"] = {"paid": paid, "reason": reason.strip(), "by": actor.get_username() if actor else "",
                            "at": timezone.localtime().strftime("%Y-%m-%d %H:%M")}  # fmt: skip
        bank_return.save(update_fields=["unmatched"])
        _settle(batch, today, actor)
        record(
            "funds.decide_line",
            actor=actor,
            obj=payment,
            region_code=payment.region_code,
            before={"status": PaymentStatus.PENDING, "bank_result": entry.get("result", "")},
            after={"status": payment.status, "reason": reason.strip(), "line": line, "file": bank_return.file_name},
        )
    return payment
