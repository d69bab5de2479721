"""The page a house label's QR code opens: no login, nothing personal beyond a masked name."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control

from core.views import public
from inspections.labels import label_of
from inspections.models import HouseSafety


@cache_control(public=True, max_age=300)
@public
def house(request: HttpRequest, code: str) -> HttpResponse:
    safety = get_object_or_404(HouseSafety.objects.select_related("household"), code=code)
    return render(request, "inspections/public_house.html", {"l": label_of(safety)})
