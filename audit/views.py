from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.roles import Cap
from audit.selectors import AuditSearchForm, search
from core.paging import paginate
from core.views import require_cap, user_of


@login_required
def search_view(request: HttpRequest) -> HttpResponse:
    require_cap(request, Cap.VIEW_AUDIT)
    page = paginate(search(user_of(request), request.GET), request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "audit/search.html", {
        "form": AuditSearchForm(request.GET or None), "page": page, "query": params.urlencode()})  # fmt: skip
