"""The audit log's search: one form and one set of filters for the events, the reads of personal data
and the export (exchange.exports KINDS "audit" runs `search` with the page's own parameters)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypeVar

from django import forms
from django.apps import apps
from django.db.models import Model, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.labels import VERB_GROUPS, object_type_choices, verb_choices, verb_condition
from audit.models import AccessLog, AuditEvent
from core.policy import scope_q
from core.scoping import prefix_filter
from core.widgets import DateInput

KINDS = [("", _("审计事件")), ("reads", _("个人信息读取记录"))]
MAX_HOUSEHOLDS = 20  # an ID number names one household, or a few where it is also a member elsewhere
HOUSEHOLD = "households.household"

_Q = TypeVar("_Q", bound=Model)


class VerbField(forms.ChoiceField):
    """An action or a whole group of them; a group's bare prefix (verb=household, as links and
    export jobs made before the drop-down say) stands for the group."""

    def to_python(self, value: Any) -> str:
        value = super().to_python(value).strip()
        return f"{value}." if value in VERB_GROUPS else value


class AuditSearchForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=KINDS, required=False)
    verb = VerbField(label=_("操作"), choices=verb_choices, required=False)
    object_type = forms.ChoiceField(label=_("对象类型"), choices=object_type_choices, required=False)
    actor = forms.CharField(label=_("操作人（用户名）"), required=False, max_length=150)
    object_id = forms.CharField(label=_("对象ID"), required=False, max_length=64)
    region = forms.CharField(label=_("区划代码"), required=False, max_length=12)
    since = forms.DateField(label=_("起始日期"), required=False, widget=DateInput())
    until = forms.DateField(label=_("截止日期"), required=False, widget=DateInput())
    failed = forms.BooleanField(label=_("只看失败"), required=False)
    # Households found by an ID number (`households_by_id_number`): their ids, never the number.
    household = forms.CharField(required=False, widget=forms.HiddenInput, max_length=400)

    def clean_region(self) -> str:
        region = self.cleaned_data["region"].strip()
        if region and not region.isdigit():
            raise forms.ValidationError(_("区划代码只能是数字"))
        return region

    def clean_household(self) -> list[int]:
        parts = [p.strip() for p in self.cleaned_data["household"].split(",") if p.strip()]
        if not all(p.isdigit() for p in parts) or len(parts) > MAX_HOUSEHOLDS:
            raise forms.ValidationError(_("农户参数无效，请重新按身份证号查找"))
        return [int(p) for p in parts]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("截止日期不能早于起始日期"))
        return data


class _Unechoed(forms.TextInput):
    """A text box that never writes its value back into the page."""

    def format_value(self, value: Any) -> str | None:
        return None


class IdNumberForm(forms.Form):
    """The household filter's input: sent by POST, so the number is in no URL, log or history,
    and not echoed back into the page."""

    id_number = forms.CharField(label=_("农户身份证号"), max_length=30, widget=_Unechoed)

    def clean_id_number(self) -> str:
        value = "".join(self.cleaned_data["id_number"].split())
        if len(value) not in (15, 18):
            raise forms.ValidationError(_("请输入完整的 18 位（或旧 15 位）身份证号"))
        return value


def households_by_id_number(user: Any, raw: str) -> list[int]:
    """Ids of the households in the auditor's region whose head (or else a member) has this ID
    number, found through the blind index (households.filters.id_digest)."""
    from households import filters  # looked up late: households depends on audit

    household = apps.get_model("households", "Household")
    scope = scope_q(user, AuditEvent, "view")  # the audit log's own scope: where its reader may look
    if scope is None:
        return []
    found = filters.find_by_id_number(household.objects.filter(scope).only("id"), raw, limit=MAX_HOUSEHOLDS)
    return [h.pk for h in found]


def _matching(qs: QuerySet[_Q], params: Mapping[str, Any] | None) -> tuple[QuerySet[_Q], dict[str, Any] | None]:
    """`qs` newest first, with the filters events and reads share (who, what kind of object, where,
    when), and the form's cleaned data for the rest; no data when nothing was asked (the whole
    log) or the parameters are not valid (then nothing matches: the page shows the reasons)."""
    qs = qs.order_by("-id")
    if not params:
        return qs, None
    form = AuditSearchForm(params)
    if not form.is_valid():
        return qs.none(), None
    d = form.cleaned_data
    if d["actor"].strip():
        qs = qs.filter(actor_name=d["actor"].strip())
    if d["object_type"]:
        qs = qs.filter(object_type=d["object_type"])
    if d["region"]:
        qs = qs.filter(prefix_filter(d["region"]))
    tz = timezone.get_current_timezone()
    if d["since"]:
        qs = qs.filter(at__gte=dt.datetime.combine(d["since"], dt.time.min, tzinfo=tz))
    if d["until"]:
        qs = qs.filter(at__lt=dt.datetime.combine(d["until"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
    return qs, d


def _creation_events(household_ids: list[int]) -> list[int]:
    """The batch events that created these households, which name them inside `after` only
    (docs/adr/0014-import-write-path.md)."""
    household = apps.get_model("households", "Household")  # looked up late: households depends on audit
    found = household.objects.filter(pk__in=household_ids).values_list("creation_event_id", flat=True)
    return [pk for pk in found if pk]


def _object_condition(object_type: str, object_id: str) -> Q:
    """Events naming the object; for a household also the batch event that created it."""
    condition = Q(object_id=object_id)
    if object_id.isdigit() and object_type in ("", HOUSEHOLD):
        condition |= Q(pk__in=_creation_events([int(object_id)]))
    return condition


def search(user: Any, params: Mapping[str, Any] | None) -> QuerySet[AuditEvent]:
    """Events in the user's region matching the search form's parameters (raw strings, as in a URL);
    nothing when they are not valid (the page shows the form's reasons)."""
    qs, d = _matching(AuditEvent.objects.restrict(user, "view"), params)
    if d is None:
        return qs
    if d["verb"]:
        qs = qs.filter(**verb_condition(d["verb"]))
    if d["object_id"].strip():
        qs = qs.filter(_object_condition(d["object_type"], d["object_id"].strip()))
    if d["household"]:  # the household's archive: its own events, its members', houses', cases' …
        ids = d["household"]
        qs = qs.filter(Q(archive_id__in=ids) | Q(pk__in=_creation_events(ids)))
    if d["failed"]:
        qs = qs.filter(success=False)
    return qs


def _listed(object_id: str) -> Q:
    """Reads naming this object, alone or in a list read's object_ids (JSON "contains" is not
    there on SQLite: the list's text is searched)."""
    return Q(object_id=object_id) | Q(ids_text__contains=f'"{object_id}"')


def search_reads(user: Any, params: Mapping[str, Any] | None) -> QuerySet[AccessLog]:
    """Reads of personal data (audit.access.record_access) in the user's region matching the form:
    by reader, kind and id of object read, household, the reader's region, dates."""
    scope = scope_q(user, AuditEvent, "view")  # reads are part of the audit log: its readers, its scope
    qs, d = _matching(AccessLog.objects.none() if scope is None else AccessLog.objects.filter(scope), params)
    if d is None:
        return qs
    if d["object_id"].strip() or d["household"]:
        qs = qs.alias(ids_text=Cast("object_ids", TextField()))  # type: ignore[assignment]
    if d["object_id"].strip():
        qs = qs.filter(_listed(d["object_id"].strip()))
    if d["household"]:
        named = Q()
        for pk in d["household"]:
            named |= _listed(str(pk))
        qs = qs.filter(Q(object_type=HOUSEHOLD) & named)
    return qs
