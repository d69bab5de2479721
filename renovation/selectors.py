"""Reads of renovation cases: deadlines (overdue, at risk) and the daily progress ranking (每日调度、排名通报)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from core.scoping import prefix_filter
from regions.selectors import name_of
from renovation import workflow
from renovation.models import Case

STARTED = workflow.STARTED_OR_LATER
COMPLETED = workflow.COMPLETED_OR_LATER
ACCEPTED = workflow.ACCEPTED_OR_LATER
PAID = workflow.DONE_STATES
AT_RISK_DAYS = 30


def overdue(qs: QuerySet[Case], today: dt.date) -> QuerySet[Case]:
    """Past the deadline and not completed (domain 7.3)."""
    return qs.filter(deadline__lt=today).exclude(state__in=(*COMPLETED, workflow.REJECTED))


def at_risk(qs: QuerySet[Case], today: dt.date, days: int = AT_RISK_DAYS) -> QuerySet[Case]:
    """Due within `days` and not completed: not yet started, or started with little time left."""
    return qs.filter(deadline__gte=today, deadline__lte=today + dt.timedelta(days=days)).exclude(
        state__in=(*COMPLETED, workflow.REJECTED)
    )


@dataclass
class RankRow:
    code: str
    name: str
    plan: int
    started: int
    completed: int
    accepted: int
    paid: int
    overdue: int
    rank: int = 0

    def rate(self, n: int) -> float:
        return round(100 * n / self.plan, 1) if self.plan else 0.0

    @property
    def started_rate(self) -> float:
        return self.rate(self.started)

    @property
    def completed_rate(self) -> float:
        return self.rate(self.completed)

    @property
    def accepted_rate(self) -> float:
        return self.rate(self.accepted)

    @property
    def paid_rate(self) -> float:
        return self.rate(self.paid)


def ranking(prefix: str, year: int, today: dt.date) -> list[RankRow]:
    """Towns of a county (or counties of a city) by completion rate, then acceptance and start rates, for the year's plan."""
    length = 9 if len(prefix) == 6 else 6 if len(prefix) == 4 else len(prefix) + 3
    rows = (
        Case.objects.filter(prefix_filter(prefix), year=year)
        .exclude(state=workflow.REJECTED)
        .annotate(unit=Substr("region_code", 1, length))
        .values("unit")
        .annotate(
            plan=Count("id"), started=Count("id", filter=Q(state__in=STARTED)),
            completed=Count("id", filter=Q(state__in=COMPLETED)), accepted=Count("id", filter=Q(state__in=ACCEPTED)),
            paid=Count("id", filter=Q(state__in=PAID)),
            overdue=Count("id", filter=Q(deadline__lt=today) & ~Q(state__in=COMPLETED)),
        )
        .order_by()
    )  # fmt: skip
    result = [RankRow(r.pop("unit"), "", **r) for r in rows]
    result.sort(key=lambda r: (-r.completed_rate, -r.accepted_rate, -r.started_rate, r.code))
    for n, row in enumerate(result, 1):
        row.rank, row.name = n, name_of(row.code)
    return result


def filter_cases(qs: QuerySet[Case], params: dict[str, str], today: dt.date) -> QuerySet[Case]:
    """The case list's filters (page and Excel export alike): year, state, mode, region, name, deadline, hold."""
    from renovation.models import Mode
    from renovation.workflow import STATES

    if params.get("year", "").isdigit():
        qs = qs.filter(year=int(params["year"]))
    if params.get("state") in STATES:
        qs = qs.filter(state=params["state"])
    if params.get("mode") in Mode.values:
        qs = qs.filter(mode=params["mode"])
    if params.get("region", "").isdigit():
        qs = qs.filter(region_code__startswith=params["region"])
    if params.get("q"):
        qs = qs.filter(household__head_name__contains=params["q"])
    if params.get("due") == "overdue":
        qs = overdue(qs, today)
    elif params.get("due") == "at_risk":
        qs = at_risk(qs, today)
    if params.get("hold"):
        qs = qs.filter(on_hold=True)
    return qs.order_by("deadline", "region_code", "id")
