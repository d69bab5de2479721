"""Pagination that stays fast on a province's million rows: the count stops at a cap."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

PER_PAGE = 50
COUNT_CAP = 10000


@dataclass
class Page:
    items: list[Any]
    number: int
    count: int
    capped: bool
    cap: int
    has_next: bool
    per_page: int

    @property
    def last(self) -> int:
        return max(1, -(-self.count // self.per_page))


def paginate(qs: QuerySet[Any] | list[Any], page: object, *, per_page: int = PER_PAGE, cap: int = COUNT_CAP) -> Page:
    try:
        number = max(1, int(str(page)))
    except (TypeError, ValueError):
        number = 1
    # order is irrelevant to a count and would force a sort
    count = min(len(qs), cap + 1) if isinstance(qs, list) else qs.order_by()[: cap + 1].count()
    capped = count > cap
    if not capped:
        number = min(number, max(1, -(-count // per_page)))
    start = (number - 1) * per_page
    items = list(qs[start : start + per_page + 1])
    return Page(items[:per_page], number, min(count, cap), capped, cap, len(items) > per_page, per_page)
