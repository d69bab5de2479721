from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from core.scoping import prefix_filter
from core.widgets import DateInput


class AuditSearchForm(forms.Form):
    actor = forms.CharField(label=_("操作人（用户名）"), required=False)
    verb = forms.CharField(label=_("操作"), required=False)
    object_type = forms.CharField(label=_("对象类型"), required=False)
    object_id = forms.CharField(label=_("对象ID"), required=False)
    region = forms.CharField(label=_("区划代码"), required=False)
    since = forms.DateField(label=_("起始日期"), required=False, widget=DateInput())
    until = forms.DateField(label=_("截止日期"), required=False, widget=DateInput())
    failed = forms.BooleanField(label=_("只看失败"), required=False)


def search(user: Any, params: Mapping[str, Any]) -> QuerySet[AuditEvent]:
    """Events in the user's region matching the search form's parameters (raw strings, as in a URL)."""
    qs = AuditEvent.objects.visible_to(user)
    form = AuditSearchForm(params or None)
    if not form.is_valid():
        return qs.order_by("-id")
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
    return qs.order_by("-id")
