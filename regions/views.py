from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.paging import paginate
from core.views import allow, form_errors, obj_or_404, restricted, user_of
from regions import aliases
from regions.aliases import COUNTY_LENGTH, AliasInput
from regions.matching import normalise
from regions.models import AliasKind, Region, RegionAlias


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


class AliasForm(forms.Form):
    county = forms.CharField(label=gettext_lazy("县（区）代码"), max_length=6)
    alias = forms.CharField(
        label=gettext_lazy("别名"), max_length=100, help_text=gettext_lazy("账册中对该村（社区）的写法，如“老龙湾”")
    )
    target = forms.CharField(
        label=gettext_lazy("对应村（社区）"), max_length=100, help_text=gettext_lazy("12 位村区划代码，或正式名称")
    )
    note = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)
    is_active = forms.BooleanField(label=gettext_lazy("有效"), required=False, initial=True)


@allow(RegionAlias)
def alias_list(request: HttpRequest) -> HttpResponse:
    """The county's aliases, former names and former codes: search by alias or village, filter by kind."""
    q = normalise(request.GET.get("q", ""))[:50]
    kind = request.GET.get("kind", "")
    qs = restricted(request, RegionAlias).select_related("target", "created_by").order_by("county", "alias", "pk")
    if q:
        qs = qs.filter(Q(alias__contains=q) | Q(target__name__contains=q) | Q(target__code__startswith=q))
    if kind in AliasKind.values:
        qs = qs.filter(kind=kind)
    page = paginate(qs, request.GET.get("page"))
    query = urlencode({"q": q, "kind": kind})
    return render(
        request, "regions/aliases.html", {"page": page, "q": q, "kind": kind, "kinds": AliasKind.choices, "query": query}
    )


@allow(RegionAlias, "change")
def alias_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    alias = obj_or_404(request, RegionAlias, "change", pk=pk) if pk else None
    user = user_of(request)
    if alias:
        initial = {"county": alias.county, "alias": alias.alias, "target": alias.target_id, "note": alias.note,
                   "is_active": alias.is_active}  # fmt: skip
    else:
        initial = {"county": user.region_id if len(user.region_id or "") == COUNTY_LENGTH else "", "is_active": True}
    form = AliasForm(request.POST or None, initial=initial)
    if alias or initial["county"]:
        form.fields["county"].disabled = True  # a county administrator keeps the county's own aliases
    if alias:
        if alias.kind != AliasKind.COUNTY:
            form.fields["alias"].disabled = form.fields["target"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = AliasInput(**form.cleaned_data)
        try:
            aliases.save_alias(actor=user, data=data, alias=alias)
        except ValidationError as exc:
            form_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("别名已保存。"))
            return redirect("regions:aliases")
    title = _("编辑村（社区）别名") if alias else _("新增村（社区）别名")
    return render(request, "core/form_page.html", {"form": form, "title": title, "cancel_url": reverse("regions:aliases")})
