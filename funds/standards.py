"""The one subsidy rule (domain 7.4): the standard that applies to a case, and the most it may be paid.

A case's standard is found by year, region (the longest code prefix wins), household category, grade and
mode (`standard_for`). An amount above it is refused unless a subsidy exception (超标准补助) for the case,
with its reason and document number, was requested by one person and approved by a second person at
county level (`request_exception`, `decide_exception`; the steps are declared in funds.workflow.EXCEPTION).
A case for which no standard applies is refused, not guessed. An amount of 0 (a guarantee route such as
living with relatives) needs no standard.

Every path that fixes or pays a subsidy goes through `problem`: the agreement (`check_subsidy`, called by
renovation.services.set_terms from the page, the API and the demo), and the batch when it is built and
when it is approved (funds.services), so a stored amount that no longer fits is never paid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Cap
from audit.services import record
from funds import workflow
from funds.models import SubsidyException, SubsidyStandard
from renovation import workflow as case_workflow
from renovation.models import Case

CENT = Decimal("0.01")


def standard_for(
    case: Case,
    on_year: int | None = None,
    standards: list[SubsidyStandard] | None = None,
    *,
    mode: str | None = None,
    categories: set[str] | None = None,
) -> SubsidyStandard | None:
    """The most specific standard for the case: longest region prefix, then the most of mode, grade and
    category given, then the one saved last. Pass the year's `standards` (and each household's `categories`) when asking for many
    cases (a batch) to read them once; `mode` is the mode being agreed when it is not stored yet."""
    year = on_year or case.year
    mode = case.mode if mode is None else mode
    candidates = standards if standards is not None else list(SubsidyStandard.objects.filter(year=year))
    if categories is None and any(s.category for s in candidates):
        categories = set(case.household.categories.filter(end_date__isnull=True).values_list("code", flat=True))
    best, best_key = None, (-1, -1, -1)
    for s in candidates:
        if s.year != year or not case.region_code.startswith(s.region_prefix):
            continue
        held = categories or set()
        if (s.grade and s.grade != case.grade) or (s.mode and s.mode != mode) or (s.category and s.category not in held):
            continue
        # equally specific: the one saved last (a later document replaces an earlier one)
        key = (len(s.region_prefix), bool(s.mode) + bool(s.grade) + bool(s.category), s.pk or 0)
        if key > best_key:
            best, best_key = s, key
    return best


@dataclass(frozen=True)
class Exceptions:
    """The subsidy exceptions of a set of cases, read once: the approved ceiling and the pending requests."""

    approved: dict[tuple[int, str], Decimal]  # (case, mode) -> the approved ceiling
    pending: set[int]

    @classmethod
    def of(cls, case_ids: Any) -> Exceptions:
        """`case_ids`: ids or a queryset of cases (kept as a subquery, so 50,000 cases cost one query)."""
        approved: dict[tuple[int, str], Decimal] = {}
        rows = SubsidyException.objects.filter(case__in=case_ids, state__in=[workflow.EXC_APPROVED, workflow.PENDING])
        for case_id, mode, state, amount in rows.order_by("decided_at", "id").values_list("case_id", "mode", "state", "amount"):
            if state == workflow.EXC_APPROVED:
                approved[(case_id, mode)] = amount  # the latest approval is the ceiling
        pending = set(rows.filter(state=workflow.PENDING).values_list("case_id", flat=True))
        return cls(approved, pending)


def _describe(case: Case, mode: str) -> str:
    from renovation.models import Mode

    return _("%(y)s年、区划 %(r)s、%(g)s级、%(m)s") % {
        "y": case.year,
        "r": case.region_code[:6],
        "g": case.grade or "-",
        "m": dict(Mode.choices).get(mode, mode) or _("改造方式未定"),
    }


def problem(
    case: Case,
    amount: Decimal | None,
    *,
    mode: str | None = None,
    standards: list[SubsidyStandard] | None = None,
    categories: set[str] | None = None,
    exceptions: Exceptions | None = None,
) -> str | None:
    """Why `amount` may not be agreed or paid for the case (in Chinese), or None when it may."""
    if amount is None:
        return _("未确定补助金额")
    if amount <= 0:
        return None
    mode = case.mode if mode is None else mode
    standard = standard_for(case, standards=standards, mode=mode, categories=categories)
    if standard is None:
        return _("未找到该户适用的补助标准（%(d)s），须先由县级登记补助标准，不能凭估计确定或拨付补助。") % {
            "d": _describe(case, mode)
        }
    if amount <= standard.amount:
        return None
    exceptions = exceptions if exceptions is not None else Exceptions.of([case.pk])
    ceiling = exceptions.approved.get((case.pk, mode))
    if ceiling is not None and amount <= ceiling:
        return None
    if ceiling is not None:
        return _("补助金额 %(a)s 元超过已批准的超标准补助 %(c)s 元。") % {"a": amount, "c": ceiling}
    if case.pk in exceptions.pending:
        return _("补助金额 %(a)s 元超过适用标准 %(s)s 元（依据：%(doc)s），超标准补助申请尚待县级审批。") % {
            "a": amount,
            "s": standard.amount,
            "doc": standard.source_document,
        }
    return _(
        "补助金额 %(a)s 元超过适用标准 %(s)s 元（依据：%(doc)s）；超出标准须申请超标准补助，写明理由和文号，并经县级另一人批准。"
    ) % {"a": amount, "s": standard.amount, "doc": standard.source_document}


def check_subsidy(case: Case, amount: Decimal | None, *, mode: str | None = None) -> None:
    """Refuse (ValidationError on the field "subsidy") an amount the standard does not allow."""
    reason = problem(case, amount, mode=mode)
    if reason:
        raise ValidationError({"subsidy": reason})


# --- exceptions: requested by one person, approved by another at county level ----------------------


def request_exception(
    *, actor: User | None, case_id: int, amount: Decimal, reason: str, document_no: str, mode: str = ""
) -> SubsidyException:
    """Ask for `amount` above the standard for the case in `mode` (the case's own mode when it has one)."""
    from accounts.permissions import require
    from renovation.models import Mode

    errors: dict[str, str] = {}
    if not reason.strip():
        errors["reason"] = _("请写明超标准补助的理由。")
    if not document_no.strip():
        errors["document_no"] = _("请填写超标准补助的依据文号。")
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("household").filter(pk=case_id).first()
        if case is None or (actor is not None and not actor.covers(case.region_code)):
            raise ValidationError(_("找不到该改造户，或不在您的管辖范围内。"))
        require(actor, Cap.CASE_APPROVE, case.region_code)
        if case.state in (case_workflow.PAID, *case_workflow.FINAL_STATES):
            raise ValidationError(_("该改造户已拨付、归档或未通过审批，不能再申请超标准补助。"))
        mode = mode or case.mode
        if mode not in Mode.values:
            raise ValidationError({"mode": _("请选择超标准补助所对应的改造方式。")})
        standard = standard_for(case, mode=mode)
        if standard is None:
            raise ValidationError(_("未找到该户适用的补助标准（%(d)s），须先登记补助标准。") % {"d": _describe(case, mode)})
        if amount <= standard.amount:
            errors["amount"] = _("申请金额未超过适用标准 %(s)s 元，无需申请超标准补助。") % {"s": standard.amount}
        if errors:
            raise ValidationError(errors)
        if SubsidyException.objects.filter(case=case, state=workflow.PENDING).exists():
            raise ValidationError(_("该户已有一份超标准补助申请待审批。"))
        exc = SubsidyException.objects.create(
            case=case,
            region_code=case.region_code,
            mode=mode,
            amount=amount.quantize(CENT),
            standard_amount=standard.amount,
            reason=reason.strip()[:300],
            document_no=document_no.strip()[:100],
            requested_by=actor,
        )
        record(
            "funds.exception_request",
            actor=actor,
            obj=exc,
            region_code=case.region_code,
            object_label=f"{case.household.head_name}户",
            after={
                "mode": mode,
                "amount": exc.amount,
                "standard": standard.amount,
                "reason": exc.reason,
                "document_no": exc.document_no,
            },
        )
    return exc


def decide_exception(*, actor: User | None, exception_id: int, approve: bool, note: str = "") -> SubsidyException:
    action = "approve" if approve else "refuse"
    with transaction.atomic():
        exc = SubsidyException.objects.select_for_update().select_related("case__household").filter(pk=exception_id).first()
        if exc is None or (actor is not None and not actor.covers(exc.region_code)):
            raise ValidationError(_("找不到该超标准补助申请，或不在您的管辖范围内。"))
        step = workflow.check_who(workflow.EXCEPTION, action, actor, exc.region_code, exc.requested_by_id)
        reasons = workflow.EXCEPTION.reasons(exc, step)
        if reasons:
            raise ValidationError(reasons)
        if step.needs_comment and not note.strip():
            raise ValidationError({"note": _("不批准须写明意见。")})
        before = exc.state
        workflow.EXCEPTION.move_one(exc, action, decided_by=actor, decided_at=timezone.now(), decision_note=note.strip()[:300])
        record(
            f"funds.exception_{action}",
            actor=actor,
            obj=exc,
            region_code=exc.region_code,
            object_label=f"{exc.case.household.head_name}户",
            before={"state": before},
            after={"state": exc.state, "amount": exc.amount, "note": note.strip()},
        )
    return exc


def categories_of(household_ids: Iterable[int] | Any) -> dict[int, set[str]]:
    """The current categories of many households, read once (for standards given per category)."""
    from households.models import HouseholdCategory

    out: dict[int, set[str]] = {}
    rows = HouseholdCategory.objects.filter(household_id__in=household_ids, end_date__isnull=True)
    for household_id, code in rows.values_list("household_id", "code"):
        out.setdefault(household_id, set()).add(code)
    return out
