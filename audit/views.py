from __future__ import annotations

import re
from typing import Any

from django.db.models import TextField
from django.db.models.functions import Cast, Left
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.labels import value_label
from audit.models import AuditEvent
from audit.selectors import AuditSearchForm, search
from audit.services import batch_items
from core.paging import paginate
from core.views import allow, obj_or_404, user_of

SUMMARY_CHARS = 300
_ESCAPED = re.compile(r"\\u([0-9a-fA-F]{4})")


def _unescape(text: str | None) -> str | None:
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text) if text else text


@allow(AuditEvent)
def search_view(request: HttpRequest) -> HttpResponse:
    # the list shows the start of before/after; the event's page shows them whole (a batch event's can be large)
    events = (
        search(user_of(request), request.GET)
        .defer("before", "after")
        .annotate(
            before_text=Left(Cast("before", TextField()), SUMMARY_CHARS),
            after_text=Left(Cast("after", TextField()), SUMMARY_CHARS),
        )
    )
    page = paginate(events, request.GET.get("page"))
    for e in page.items:  # SQLite keeps JSON with \uXXXX escapes: show the characters
        e.before_text, e.after_text = _unescape(e.before_text), _unescape(e.after_text)
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "audit/search.html", {
        "form": AuditSearchForm(request.GET or None), "page": page, "query": params.urlencode()})  # fmt: skip


BATCH_PAGE = 100


def _household_row(item: dict[str, Any]) -> dict[str, Any]:
    """A household of a batch event, its categories and dwelling by name (audit.labels)."""
    house = item.get("dwelling") or {}
    parts = [
        value_label("structure_type", house.get("structure_type")),
        f"{house['year_built']}年" if house.get("year_built") else "",
        f"{house['floor_area']}㎡" if house.get("floor_area") else "",
        house.get("address") or "",
    ]
    return {
        **item,
        "category_names": value_label("categories", item.get("categories") or []),
        "house_text": " · ".join(p for p in parts if p),
    }


@allow(AuditEvent)
def detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One event whole: its fields, and its before/after side by side, or for a batch creation
    event the households it created, a page at a time."""
    event = obj_or_404(request, AuditEvent, pk=pk)
    listed = batch_items(event.after)
    page = None
    if listed is not None:
        page = paginate(listed, request.GET.get("page"), per_page=BATCH_PAGE)
        page.items = [_household_row(item) for item in page.items]
    before, after = event.before or {}, event.after or {}
    keys = list(dict.fromkeys([*before, *after])) if page is None else []
    kind = event.object_type
    rows = [
        (k, value_label(k, before.get(k), kind), value_label(k, after.get(k), kind), before.get(k) != after.get(k)) for k in keys
    ]
    return render(request, "audit/detail.html", {"e": event, "rows": rows, "page": page})
