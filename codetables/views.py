from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from codetables import services
from codetables.models import CodeItem, Table
from core.views import allow, obj_or_404


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
            saved = services.save_item(actor=request.user, item=form.instance)  # type: ignore[arg-type]
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("代码项已保存。"))
            return redirect(f"{reverse('codetables:list')}?table={saved.table}")
    return render(request, "core/form_page.html", {"form": form, "title": _("代码项"), "cancel_url": reverse("codetables:list")})
