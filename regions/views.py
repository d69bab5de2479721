from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from core.paging import paginate
from core.views import allow
from regions.models import Region


@allow("regions.Region")
def browse(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """The region tree (public reference data): a region, its path and its children; or a search."""
    q = request.GET.get("q", "").strip()
    region = get_object_or_404(Region, code=code) if code else None
    if q:
        qs = Region.objects.filter(Q(code__startswith=q) if q.isdigit() else Q(name__contains=q)).select_related("parent")
        page = paginate(qs.order_by("code"), request.GET.get("page"))
        return render(request, "regions/browse.html", {"q": q, "page": page, "query": f"q={q}"})
    children = Region.objects.filter(parent=region) if region else Region.objects.filter(parent__isnull=True)
    page = paginate(children.order_by("code"), request.GET.get("page"), per_page=200)
    return render(request, "regions/browse.html", {"region": region, "page": page, "query": ""})
