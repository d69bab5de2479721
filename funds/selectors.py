"""Reads of funds: the ledger per county and year, the correction list, the public disclosure list,
and the yearly summary of cases and money (the figures of seed 001)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from funds.models import Allocation, DisbursementBatch, Payment, PaymentStatus
from funds.workflow import ISSUED_STATES
from renovation import workflow
from renovation.models import Case, Mode
from renovation.selectors import ACCEPTED, COMPLETED, PAID, STARTED

ZERO = Decimal("0.00")
ISSUED = Q(batch__status__in=list(ISSUED_STATES))


@dataclass
class Ledger:
    county: str
    year: int
    allocated: Decimal
    confirmed: Decimal
    failed: Decimal
    pending: Decimal

    @property
    def disbursed(self) -> Decimal:
        """What has gone to the bank and is not known to have come back reissued: confirmed + failed + pending."""
        return self.confirmed + self.failed + self.pending

    @property
    def balance(self) -> Decimal:
        return self.allocated - self.disbursed


def payments_of(county: str, year: int) -> QuerySet[Payment]:
    return Payment.objects.filter(ISSUED, batch__region_code=county.ljust(12, "0"), batch__year=year)


def ledger(county: str, year: int) -> Ledger:
    allocated = Allocation.objects.filter(region_code=county.ljust(12, "0"), year=year).aggregate(s=Sum("amount"))["s"]
    sums = payments_of(county, year).aggregate(
        confirmed=Sum("amount", filter=Q(status=PaymentStatus.PAID)),
        failed=Sum("amount", filter=Q(status=PaymentStatus.FAILED)),
        pending=Sum("amount", filter=Q(status=PaymentStatus.PENDING)),
    )

    def cents(value: Decimal | None) -> Decimal:  # SQLite's SUM comes back without its two places
        return (value or ZERO).quantize(ZERO)

    return Ledger(county, year, cents(allocated), cents(sums["confirmed"]), cents(sums["failed"]), cents(sums["pending"]))


def corrections(county: str, year: int) -> QuerySet[Payment]:
    """Failed payments not yet paid again: the correction list."""
    return (
        payments_of(county, year).filter(status=PaymentStatus.FAILED).select_related("batch", "household").order_by("region_code")
    )


def disclosure(village: str, year: int) -> QuerySet[Payment]:
    """Confirmed payments of a village for the public disclosure list (printed with names and numbers masked)."""
    return (
        Payment.objects.filter(region_code=village, batch__year=year, status=PaymentStatus.PAID)
        .select_related("case", "batch")
        .order_by("payee_name", "id")
    )


def disclosure_rows(village: str, year: int) -> list[tuple[Any, ...]]:
    """The lines of the public list: masked name, ID and account, mode, amount, date of payment."""
    from core.masking import mask_bank_account, mask_id_number, mask_name

    return [
        (mask_name(p.payee_name), mask_id_number(p.payee_id), mask_bank_account(p.account), p.case.get_mode_display(), p.amount,
         p.confirmed_on)
        for p in disclosure(village, year)
    ]  # fmt: skip


# --- the yearly summary ------------------------------------------------------------------------------

SUMMARY_MODES = [
    ("C", Mode.REPAIR, "C级 维修加固"),
    ("D", Mode.REBUILD_ONSITE, "D级 原址翻建"),
    ("D", Mode.REBUILD_ELSEWHERE, "D级 异地新建"),
    ("D", Mode.GROUP_BUILD, "D级 统建"),
    ("", Mode.TURNKEY, "政府兜底“交钥匙”"),
    ("", "guarantee", "投亲靠友、租赁、置换等保障"),
    ("", "", "方式未定"),  # cases not yet agreed: counted, never left out of the total
    ("", "other", "其他（等级与改造方式不对应）"),  # shown only when it holds cases: the rows add up to every case
]


@dataclass
class SummaryRow:
    label: str
    cases: int = 0
    started: int = 0
    completed: int = 0
    accepted: int = 0
    paid: int = 0


@dataclass
class YearSummary:
    county: str
    year: int
    rows: list[SummaryRow]
    total: SummaryRow
    allocations: list[Allocation]
    batches: list[tuple[DisbursementBatch, Decimal]]  # batch, confirmed amount
    ledger: Ledger
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def allocated(self) -> Decimal:
        return sum((a.amount for a in self.allocations), ZERO)

    @property
    def disbursed(self) -> Decimal:
        return sum((b.total for b, _confirmed in self.batches), ZERO)


def _row_filter(grade: str, mode: str) -> Q:
    from renovation.models import GUARANTEE_MODES

    if mode == "guarantee":
        return Q(mode__in=list(GUARANTEE_MODES))
    if not mode:
        return Q(mode="")
    if mode == "other":  # every case no row above holds (a D house repaired, say)
        held = Q(mode__in=list(GUARANTEE_MODES)) | Q(mode="")
        for g, m, _label in SUMMARY_MODES:
            if m not in ("", "other", "guarantee"):
                held |= Q(mode=m, grade=g) if g else Q(mode=m)
        return ~held
    return Q(mode=mode, grade=grade) if grade else Q(mode=mode)


def year_summary(county: str, year: int) -> YearSummary:
    cases = Case.objects.filter(region_code__startswith=county, year=year).exclude(state=workflow.REJECTED)
    rows = []
    for grade, mode, label in SUMMARY_MODES:
        c = cases.filter(_row_filter(grade, mode)).aggregate(
            cases=Count("id"),
            started=Count("id", filter=Q(state__in=STARTED) | Q(started_on__isnull=False)),
            completed=Count("id", filter=Q(state__in=COMPLETED)),
            accepted=Count("id", filter=Q(state__in=ACCEPTED)),
            paid=Count("id", filter=Q(state__in=PAID)),
        )
        if mode != "other" or c["cases"]:
            rows.append(SummaryRow(label, **c))
    total = SummaryRow("合计", *(sum(getattr(r, f) for r in rows) for f in ("cases", "started", "completed", "accepted", "paid")))
    pending = cases.filter(mode="").count()
    batches = DisbursementBatch.objects.filter(region_code=county.ljust(12, "0"), year=year).filter(
        status__in=list(ISSUED_STATES)
    )
    confirmed = dict(
        Payment.objects.filter(batch__in=batches, status=PaymentStatus.PAID)
        .values("batch_id")
        .annotate(s=Sum("amount"))
        .values_list("batch_id", "s")
    )
    return YearSummary(
        county,
        year,
        rows,
        total,
        allocations=list(Allocation.objects.filter(region_code=county.ljust(12, "0"), year=year)),
        batches=[(b, (confirmed.get(b.pk) or ZERO).quantize(ZERO)) for b in batches.order_by("number")],
        ledger=ledger(county, year),
        extra={"mode_not_set": pending},
    )
