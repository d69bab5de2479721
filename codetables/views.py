from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from codetables import services
from codetables.models import ALIAS_TABLES, CodeAlias, CodeItem, Table
from core.paging import paginate
from core.views import allow, form_errors, obj_or_404, restricted, user_of
from regions.models import Level, Region


class CodeItemForm(forms.ModelForm):
    class Meta:
        model = CodeItem
        fields = ["table", "code", "name", "group", "sort_order", "is_active", "note"]


@allow(CodeItem)
def item_list(request: HttpRequest) -> HttpResponse:
    table = request.GET.get("table") or Table.STRUCTURE_TYPE
    return render(
        request, "codetables/list.html", {"tables": Table.choices, "table": table, "items": CodeItem.objects.filter(table=table)}
    )


@allow(CodeItem, "change")
def item_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    item = obj_or_404(request, CodeItem, "change", pk=pk) if pk else None
    form = CodeItemForm(request.POST or None, instance=item, initial={"table": request.GET.get("table")})
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_item(actor=user_of(request), item=form.instance)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("代码项已保存。"))
            return redirect(f"{reverse('codetables:list')}?table={saved.table}")
    return render(request, "core/form_page.html", {"form": form, "title": _("代码项"), "cancel_url": reverse("codetables:list")})


# --- aliases ---------------------------------------------------------------------------------------


def _targets() -> list[tuple[str, list[tuple[str, str]]]]:
    """The entries an alias may stand for, grouped by table: value "table:code"."""
    labels = dict(Table.choices)
    grouped: dict[str, list[tuple[str, str]]] = {str(t): [] for t in ALIAS_TABLES}
    for item in CodeItem.objects.filter(table__in=ALIAS_TABLES, is_active=True):
        grouped[item.table].append((f"{item.table}:{item.code}", item.name))
    return [(str(labels[t]), entries) for t, entries in grouped.items()]


def _places(user: Any) -> list[tuple[str, str]]:
    """Where the user may make an alias hold: the counties under their region (and everywhere, at province level)."""
    region = user.region_id or ""
    counties = Region.objects.under(region).filter(level=Level.COUNTY, is_active=True).order_by("code") if region else []
    places = [(c.code, f"{c.name}（{c.code}）") for c in counties]
    return [("", _("全省通用")), *places] if len(region) == services.PROVINCE_CODE_LENGTH else places


class AliasForm(forms.Form):
    alias = forms.CharField(
        label=gettext_lazy("别名"), max_length=100, help_text=gettext_lazy("表格中实际出现的写法，如“砖混结构”")
    )
    target = forms.ChoiceField(label=gettext_lazy("对应代码项"))
    region_code = forms.CharField(label=gettext_lazy("适用范围"), required=False, max_length=6, widget=forms.Select)
    note = forms.CharField(
        label=gettext_lazy("说明"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("如：本县台账中“低保户”均指农村低保户（民政局 2023 年名单）"),
    )
    is_active = forms.BooleanField(label=gettext_lazy("启用"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any, editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["is_active"]  # a new alias is active
        self.fields["target"].choices = [("", "—"), *_targets()]  # type: ignore[attr-defined]
        self.fields["region_code"].widget.choices = _places(user)  # type: ignore[attr-defined]

    def data_for(self) -> services.AliasInput:
        d = self.cleaned_data
        table, code = d["target"].split(":", 1)
        return services.AliasInput(table, d["alias"], code, d["region_code"] or "", d["note"], bool(d.get("is_active", True)))


TARGET_OF = {"table": "target", "code": "target"}


def _aliases(request: HttpRequest) -> Any:
    return restricted(request, CodeAlias.objects.select_related("created_by"))


@allow(CodeAlias)
def alias_list(request: HttpRequest) -> HttpResponse:
    table = request.GET.get("table", "")
    q = request.GET.get("q", "").strip()
    qs = _aliases(request).order_by("table", "region_code", "alias")
    if table:
        qs = qs.filter(table=table)
    if q:
        qs = qs.filter(Q(alias__icontains=q) | Q(code__icontains=q) | Q(note__icontains=q) | Q(region_code=q))
    page = paginate(qs, request.GET.get("page"))
    names = {(i.table, i.code): i.name for i in CodeItem.objects.filter(table__in=ALIAS_TABLES)}
    mine = set(restricted(request, CodeAlias, "change").filter(pk__in=[a.pk for a in page.items]).values_list("pk", flat=True))
    rows = [(a, names.get((a.table, a.code), a.code), services.region_label(a.region_code), a.pk in mine) for a in page.items]
    context = {
        "page": page,
        "rows": rows,
        "q": q,
        "table": table,
        "tables": [(str(t), dict(Table.choices)[t]) for t in ALIAS_TABLES],
        "query": urlencode({"table": table, "q": q}),
    }
    return render(request, "codetables/alias_list.html", context)


@allow(CodeAlias, "change")
def alias_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = user_of(request)
    alias = obj_or_404(request, CodeAlias, "change", pk=pk) if pk else None
    initial: dict[str, Any] = {"region_code": (user.region_id or "")[:6] if len(user.region_id or "") >= 6 else ""}
    if alias is not None:
        initial = {"alias": alias.alias, "target": f"{alias.table}:{alias.code}", "region_code": alias.region_code,
                   "note": alias.note, "is_active": alias.is_active}  # fmt: skip
    form = AliasForm(request.POST or None, user=user, initial=initial, editing=alias is not None)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_alias(actor=user, alias=alias, data=form.data_for())
        except ValidationError as exc:
            # the service names the table and the code apart; the form asks for them as one choice
            form_errors(form, ValidationError({TARGET_OF.get(k, k): v for k, v in exc.error_dict.items()}))
        except PermissionDenied as exc:
            form.add_error("region_code", str(exc))
        else:
            messages.success(request, _("别名已保存。"))
            return redirect("codetables:aliases")
    title = _("编辑别名“%(a)s”") % {"a": alias.alias} if alias else _("新增别名")
    return render(request, "core/form_page.html", {"form": form, "title": title, "cancel_url": reverse("codetables:aliases")})


@allow(CodeAlias, "change")
@require_POST
def alias_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    alias = obj_or_404(request, CodeAlias, "change", pk=pk)
    try:
        services.deactivate_alias(actor=user_of(request), alias=alias)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("别名“%(a)s”已停用。") % {"a": alias.alias})
    return redirect("codetables:aliases")
