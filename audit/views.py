from __future__ import annotations

from typing import Any

from django.db.models import IntegerField, TextField
from django.db.models.functions import Cast, Coalesce, Length
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from audit.labels import changes, object_type_label, value_label
from audit.models import AuditEvent
from audit.selectors import AuditSearchForm, IdNumberForm, households_by_id_number, search, search_reads
from audit.services import batch_items
from core.paging import paginate
from core.views import allow, obj_or_404, user_of

SUMMARY_CHARS = 4000  # an event whose before and after are longer (a batch event's) is shown on its own page only
SUMMARY_ROWS = 6  # changes listed for an event in the list; its page shows them all


def _query(params: QueryDict) -> str:
    params = params.copy()
    params.pop("page", None)
    return params.urlencode()


@allow(AuditEvent)
@sensitive_post_parameters("id_number")
def search_view(request: HttpRequest) -> HttpResponse:
    """The log with its filters. A POST carries an ID number: the households it names (blind index)
    become the `household` filter, so the number itself is in no URL (nor in an error report)."""
    id_form = IdNumberForm()
    if request.method == "POST":
        id_form = IdNumberForm(request.POST)
        if id_form.is_valid():
            found = households_by_id_number(user_of(request), id_form.cleaned_data["id_number"])
            if found:
                params = request.GET.copy()
                params.pop("page", None)
                params["household"] = ",".join(str(pk) for pk in found)
                return HttpResponseRedirect(f"{reverse('audit:search')}?{params.urlencode()}")
            id_form.add_error("id_number", _("您的管辖范围内没有该身份证号的农户（户主或家庭成员）"))
    form = AuditSearchForm(request.GET or None)
    if request.GET.get("kind") == "reads":
        page = paginate(search_reads(user_of(request), request.GET), request.GET.get("page"))
        for r in page.items:
            r.type_label = object_type_label(r.object_type)
    else:
        page = paginate(_events(search(user_of(request), request.GET)), request.GET.get("page"))
        _summarise(page.items)
    households = form.is_valid() and form.cleaned_data.get("household")
    return render(request, "audit/search.html", {
        "form": form, "id_form": id_form, "page": page, "query": _query(request.GET),
        "reads": request.GET.get("kind") == "reads", "households": households or [],
        "without_household": _query(_without(request.GET, "household"))})  # fmt: skip


def _without(params: QueryDict, key: str) -> QueryDict:
    params = params.copy()
    params.pop(key, None)
    return params


def _events(qs: Any) -> Any:
    """The list reads only how long each event's before/after are; the short ones are read whole
    afterwards (`_summarise`), a batch event's (megabytes) never here."""
    size = Coalesce(Length(Cast("before", TextField())), 0) + Coalesce(Length(Cast("after", TextField())), 0)
    return qs.defer("before", "after").annotate(content_size=Cast(size, IntegerField()))


def _summarise(events: list[Any]) -> None:
    """Each event of the page with its object type by name and its changes as readable text."""
    short = [e.pk for e in events if (e.content_size or 0) <= SUMMARY_CHARS]
    content = {pk: (b, a) for pk, b, a in AuditEvent.objects.filter(pk__in=short).values_list("pk", "before", "after")}
    for e in events:
        e.type_label = object_type_label(e.object_type)
        e.summary = None
        if e.pk in content:
            rows = changes(e.object_type, *content[e.pk])
            rows = [r for r in rows if r.changed and (r.before or r.after)] or rows
            e.summary, e.more = rows[:SUMMARY_ROWS], len(rows) - SUMMARY_ROWS


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
    """One event whole: its fields, and its changes as a table of field, before, after, or for a
    batch creation event the households it created, a page at a time."""
    event = obj_or_404(request, AuditEvent, pk=pk)
    listed = batch_items(event.after)
    page = None
    if listed is not None:
        page = paginate(listed, request.GET.get("page"), per_page=BATCH_PAGE)
        page.items = [_household_row(item) for item in page.items]
    rows = changes(event.object_type, event.before, event.after) if page is None else []
    return render(request, "audit/detail.html", {
        "e": event, "rows": rows, "page": page, "type_label": object_type_label(event.object_type)})  # fmt: skip
