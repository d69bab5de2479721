from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Cap
from audit.models import AuditEvent
from core.paging import paginate
from core.scoping import prefix_filter
from core.views import require_cap


class AuditSearchForm(forms.Form):
    actor = forms.CharField(label=_("操作人（用户名）"), required=False)
    verb = forms.CharField(label=_("操作"), required=False)
    object_type = forms.CharField(label=_("对象类型"), required=False)
    object_id = forms.CharField(label=_("对象ID"), required=False)
    region = forms.CharField(label=_("区划代码"), required=False)
    since = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    failed = forms.BooleanField(label=_("只看失败"), required=False)


@login_required
def search(request: HttpRequest) -> HttpResponse:
    require_cap(request, Cap.VIEW_AUDIT)
    qs = AuditEvent.objects.visible_to(request.user)
    form = AuditSearchForm(request.GET or None)
    if form.is_valid():
        d = form.cleaned_data
        if d["actor"]:
            qs = qs.filter(actor_name=d["actor"].strip())
        if d["verb"]:
            qs = qs.filter(verb__startswith=d["verb"].strip())
        if d["object_type"]:
            qs = qs.filter(object_type=d["object_type"].strip())
        if d["object_id"]:
            qs = qs.filter(object_id=d["object_id"].strip())
        if d["region"] and d["region"].strip().isdigit():
            qs = qs.filter(prefix_filter(d["region"].strip()))
        tz = timezone.get_current_timezone()
        if d["since"]:
            qs = qs.filter(at__gte=dt.datetime.combine(d["since"], dt.time.min, tzinfo=tz))
        if d["until"]:
            qs = qs.filter(at__lt=dt.datetime.combine(d["until"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
        if d["failed"]:
            qs = qs.filter(success=False)
    page = paginate(qs.order_by("-id"), request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "audit/search.html", {"form": form, "page": page, "query": params.urlencode()})
