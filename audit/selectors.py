from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms
from django.apps import apps
from django.db.models import Q, QuerySet
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


def _object_condition(object_type: str, object_id: str) -> Q:
    """Events naming the object; for a household also the batch event that created it, which names
    its households inside `after` (docs/adr/0014-import-write-path.md)."""
    condition = Q(object_id=object_id)
    if object_id.isdigit() and object_type in ("", "households.household"):
        household = apps.get_model("households", "Household")  # looked up late: households depends on audit
        created = household.objects.filter(pk=int(object_id)).values_list("creation_event_id", flat=True).first()
        if created:
            condition |= Q(pk=created)
    return condition


def search(user: Any, params: Mapping[str, Any]) -> QuerySet[AuditEvent]:
    """Events in the user's region matching the search form's parameters (raw strings, as in a URL)."""
    qs = AuditEvent.objects.restrict(user, "view")
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
        qs = qs.filter(_object_condition(d["object_type"].strip(), d["object_id"].strip()))
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
