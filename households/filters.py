"""The filters of the household list, shared by the page, its Excel export and the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from codetables.models import Table
from codetables.selectors import choices
from core.crypto import blind_index
from core.scoping import prefix_filter
from households import validation
from households.models import Household, Member
from regions.models import Level
from regions.selectors import options as region_options

SORTS = {
    "name": ("head_name", "id"),
    "-name": ("-head_name", "-id"),
    "region": ("region_code", "id"),
    "-region": ("-region_code", "-id"),
    "size": ("family_size", "id"),
    "-size": ("-family_size", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
}
DEFAULT_SORT = "region"


class HouseholdFilterForm(forms.Form):
    q = forms.CharField(label=_("户主姓名"), required=False, max_length=50)
    region = forms.CharField(label=_("区划"), required=False, max_length=12)
    category = forms.ChoiceField(label=_("农户类别"), required=False)
    key_group = forms.ChoiceField(label=_("重点对象"), required=False, choices=[("", _("全部")), ("1", _("是")), ("0", _("否"))])
    structure_type = forms.ChoiceField(label=_("结构形式"), required=False)
    year_from = forms.IntegerField(label=_("建造年份从"), required=False, min_value=1800, max_value=2100)
    year_to = forms.IntegerField(label=_("至"), required=False, min_value=1800, max_value=2100)
    built_before = forms.IntegerField(required=False, min_value=1800, max_value=2100, widget=forms.HiddenInput)
    needs_review = forms.BooleanField(label=_("身份证号待核实"), required=False)
    sort = forms.ChoiceField(required=False, choices=[(k, k) for k in SORTS], widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user is not None:  # pages offer the user's towns and villages; the API takes a code
            found = region_options(user.region_id or "", (Level.TOWN, Level.VILLAGE))
            if found is not None:
                self.fields["region"].widget = forms.Select(choices=[("", _("全部")), *found])
                self.fields["region"].label = _("乡镇 / 村")
        cast(forms.ChoiceField, self.fields["category"]).choices = [("", _("全部")), *choices(Table.HOUSEHOLD_CATEGORY)]
        cast(forms.ChoiceField, self.fields["structure_type"]).choices = [("", _("全部")), *choices(Table.STRUCTURE_TYPE)]

    def clean_region(self) -> str:
        value = validation.compact(self.cleaned_data.get("region"))
        if value and not value.isdigit():
            raise forms.ValidationError(_("区划代码只能是数字"))
        return value


def narrowest(scope: str, region: str) -> str | None:
    """The more specific of the user's region and the requested one; None when they do not overlap."""
    if not region or region.startswith(scope):
        return region or scope
    return scope if scope.startswith(region) else None


def apply(qs: QuerySet[Household], data: Mapping[str, Any], *, scope: str = "") -> QuerySet[Household]:
    """Filter households. `scope` (the user's region code) also narrows the sub-queries on categories
    and houses, so each reads only its region's slice of the (region_code, ...) indexes."""
    prefix = narrowest(scope, data.get("region") or "")
    if prefix is None:
        return qs.none()
    if prefix:
        qs = qs.filter(prefix_filter(prefix))
    if data.get("q"):
        qs = qs.filter(head_name__startswith=validation.compact(data["q"]))
    if data.get("category"):
        # A join, not IN (sub-query): a household has at most one active row per category, and the
        # planner can then drive from the (code, region_code) index or from the household side.
        condition = Q(categories__code=data["category"], categories__end_date__isnull=True)
        if prefix:  # in the same filter() call, so it narrows the same join
            condition &= prefix_filter(prefix, "categories__region_code")
        qs = qs.filter(condition)
    if data.get("key_group") in ("0", "1"):
        qs = qs.filter(is_key_group=data["key_group"] == "1")
    if data.get("structure_type"):
        qs = qs.filter(dwelling_structure=data["structure_type"])
    if data.get("year_from"):
        qs = qs.filter(dwelling_year_built__gte=data["year_from"])
    if data.get("year_to"):
        qs = qs.filter(dwelling_year_built__lte=data["year_to"])
    if data.get("built_before"):
        qs = qs.filter(dwelling_year_built__lt=data["built_before"])
    if data.get("needs_review"):
        qs = qs.filter(id_needs_review=True)
    return qs.order_by(*SORTS.get(data.get("sort") or DEFAULT_SORT, SORTS[DEFAULT_SORT]))


def id_digest(raw: str) -> str:
    """The blind index of an ID number as typed (spaces, lower-case x, an old 15-digit number)."""
    value = validation.compact(raw).upper()
    if len(value) == 15:
        try:
            value = validation.id_number(value).value
        except validation.FieldError:
            pass
    return blind_index(value)


def find_by_id_number(qs: QuerySet[Household], raw: str, limit: int = 20) -> list[Household]:
    """Households whose head, or else a member, has this ID number, through the blind index.

    The head first (one index lookup); members only when no head matches: one OR across a join
    would be served by no index. ID numbers never come from a URL: callers take them from a POST.
    """
    digest = id_digest(raw)
    return list(qs.filter(head_id_hash=digest)[:limit]) or by_member_digest(qs, digest, limit)


def by_member_digest(qs: QuerySet[Household], digest: str, limit: int = 20) -> list[Household]:
    """Households with a member whose ID number has this blind index."""
    member_of = Member.objects.filter(id_number_hash=digest).values_list("household_id", flat=True)[:limit]
    return list(qs.filter(id__in=list(member_of)))


def by_id_number(qs: QuerySet[Household], raw: str) -> QuerySet[Household]:
    return qs.filter(id__in=[h.pk for h in find_by_id_number(qs.only("id"), raw)])
