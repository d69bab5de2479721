from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.roles import Cap
from audit.models import AuditEvent
from codetables.models import Table
from codetables.selectors import names
from core.errors import ConflictError
from core.masking import mask_bank_account, mask_id_number, mask_phone
from core.paging import paginate
from core.views import allow, form_errors, obj_or_404, restricted
from households import filters, services
from households.forms import CategoryForm, HouseForm, HouseholdForm, MemberForm, RevealForm
from households.models import Household, Member


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _visible(request: HttpRequest) -> Any:
    return restricted(request, Household)


def _get(request: HttpRequest, pk: int, action: str = "view") -> Household:
    return obj_or_404(request, Household, action, pk=pk)


@allow(Household)
def household_list(request: HttpRequest) -> HttpResponse:
    qs = _visible(request)
    form = filters.HouseholdFilterForm(request.GET or None, user=_user(request))
    data = form.cleaned_data if form.is_valid() else {}
    id_search = ""
    if request.method == "POST":  # ID numbers travel in the body, never in a URL
        id_search = request.POST.get("id_number", "")
        qs = filters.by_id_number(qs, id_search).order_by("id") if id_search.strip() else qs.none()
    else:
        qs = filters.apply(qs, data, scope=_user(request).region_id or "")
    page = paginate(qs.select_related("village"), request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "households/list.html",
        {
            "form": form,
            "page": page,
            "query": params.urlencode(),
            "id_search": bool(id_search),
            "structure_names": names(Table.STRUCTURE_TYPE),
            "sort": data.get("sort") or filters.DEFAULT_SORT,
        },
    )


def _timeline(household: Household) -> list[AuditEvent]:
    """The household's events, with the batch event that created it when it came in with its village."""
    events = list(AuditEvent.objects.filter(archive_id=household.pk).order_by("-id")[:200])
    created = household.creation_event_id
    if created and all(e.pk != created for e in events):  # `after` lists the whole batch: not read here
        events += AuditEvent.objects.filter(pk=created).defer("after")
    return sorted(events, key=lambda e: -e.pk)


@allow(Household)
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = _get(request, pk)
    category_names = names(Table.HOUSEHOLD_CATEGORY)
    cats = [(c, category_names.get(c.code, c.code)) for c in household.categories.order_by("end_date", "-start_date")]
    return render(
        request,
        "households/detail.html",
        {
            "h": household,
            "head_id_masked": mask_id_number(household.head_id),
            "phone_masked": mask_phone(household.phone),
            "bank_masked": mask_bank_account(household.bank_account),
            "categories": cats,
            "members": [
                (m, mask_id_number(m.id_number), names(Table.RELATION).get(m.relation, m.relation))
                for m in household.members.order_by("id")
            ],
            "houses": household.houses.order_by("-is_dwelling", "id"),
            "structure_names": names(Table.STRUCTURE_TYPE),
            "roof_names": names(Table.ROOF_FORM),
            "timeline": _timeline(household),
            "can_edit": _user(request).can(Cap.EDIT_ARCHIVE),
            "can_unmask": _user(request).can(Cap.UNMASK),
        },
    )


def _archive_form(
    request: HttpRequest, form: Any, household: Household, *, title: str, form_id: str, version: int | None = None
) -> HttpResponse:
    """A form page about one household's archive (member, house, category), cancelling back to it."""
    return render(request, "core/form_page.html", {
        "form": form, "title": title, "form_id": form_id, "version": version,
        "cancel_url": reverse("households:detail", args=[household.pk]),
    })  # fmt: skip


@allow(Household, "change")
def household_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = _user(request)
    household = _get(request, pk, "change") if pk else None
    initial: dict[str, Any] = {}
    if household:
        dwelling = services.dwelling_of(household)
        initial = {
            f: getattr(household, f)
            for f in ("group_name", "archive_no", "head_name", "family_size", "bank_name", "only_house", "note", "version")
        }
        initial["village"] = household.village_id
        initial["categories"] = [c.code for c in services.active_categories(household)]
        if dwelling:
            initial.update(
                {f: getattr(dwelling, f) for f in ("structure_type", "year_built", "storeys", "floor_area", "address")}
            )
    form = HouseholdForm(request.POST or None, user=user, household=household, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if household is None:
                household = services.create_household(actor=user, data=form.to_input())
                messages.success(request, _("农户档案已创建。"))
            else:
                services.update_household(
                    actor=user, household=household, data=form.to_input(), version=form.cleaned_data["version"] or 0
                )
                messages.success(request, _("农户档案已保存。"))
            return redirect("households:detail", pk=household.pk)
        except ConflictError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form_errors(form, exc)
    title = _("编辑农户档案：%(n)s") % {"n": household.head_name} if household else _("新建农户档案")
    cancel = reverse("households:detail", args=[household.pk]) if household else reverse("households:list")
    return render(
        request, "core/form_page.html", {"form": form, "title": title, "form_id": "household-form", "cancel_url": cancel}
    )


@allow(Household, "change")
@require_POST
def household_delete(request: HttpRequest, pk: int) -> HttpResponse:
    household = _get(request, pk, "change")
    try:
        services.delete_household(actor=_user(request), household=household)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("households:detail", pk=household.pk)
    messages.success(request, _("农户档案已删除（删除前的内容保存在审计日志中）。"))
    return redirect("households:list")


@allow(Household, "unmask")
@require_POST
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    household = _get(request, pk, "unmask")
    form = RevealForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("请填写查看理由。"), status=400)
    target: Household | Member = household
    if form.cleaned_data["member"]:
        target = get_object_or_404(household.members, pk=form.cleaned_data["member"])
    field = form.cleaned_data["field"]
    if (field == "id_number") != isinstance(target, Member):
        return HttpResponse(_("字段不正确。"), status=400)
    try:
        value = services.reveal(actor=_user(request), obj=target, field_name=field, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400)
    return render(request, "households/_revealed.html", {"value": value})


@allow(Household, "change")
def member_edit(request: HttpRequest, pk: int, member_pk: int | None = None) -> HttpResponse:
    household = _get(request, pk, "change")
    member = get_object_or_404(household.members, pk=member_pk) if member_pk else None
    initial = {"name": member.name, "relation": member.relation} if member else {}
    form = MemberForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        id_number = d["id_number"]
        if id_number is None and member and member.id_number:
            from households.idnumber import parse

            id_number = parse(member.id_number)
        try:
            services.save_member(
                actor=_user(request),
                household=household,
                member=member,
                name=d["name"],
                relation=d["relation"],
                id_number=id_number,
                version=int(request.POST.get("version") or 0) if member else None,
            )
            messages.success(request, _("家庭成员已保存。"))
            return redirect("households:detail", pk=household.pk)
        except ConflictError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form_errors(form, exc)
    return _archive_form(
        request,
        form,
        household,
        title=_("%(n)s户 · 家庭成员") % {"n": household.head_name},
        form_id="member-form",
        version=member.version if member else None,
    )


@allow(Household, "change")
@require_POST
def member_delete(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    household = _get(request, pk, "change")
    member = get_object_or_404(household.members, pk=member_pk)
    services.delete_member(actor=_user(request), member=member)
    messages.success(request, _("家庭成员已删除。"))
    return redirect("households:detail", pk=household.pk)


@allow(Household, "change")
def house_edit(request: HttpRequest, pk: int, house_pk: int | None = None) -> HttpResponse:
    household = _get(request, pk, "change")
    house = get_object_or_404(household.houses, pk=house_pk) if house_pk else None
    form = HouseForm(request.POST or None, instance=house)
    version = house.version if house else None
    if request.method == "POST" and form.is_valid():
        try:
            posted_version = int(request.POST.get("version") or 0) if house else None
            values = {k: form.cleaned_data[k] for k in form.cleaned_data}
            if house is not None:
                house.refresh_from_db()
            services.save_house(actor=_user(request), household=household, house=house, values=values, version=posted_version)
            messages.success(request, _("房屋信息已保存。"))
            return redirect("households:detail", pk=household.pk)
        except ConflictError as exc:
            form.add_error(None, exc.message)
    return _archive_form(
        request, form, household, title=_("%(n)s户 · 房屋") % {"n": household.head_name}, form_id="house-form", version=version
    )


@allow(Household, "change")
@require_POST
def house_delete(request: HttpRequest, pk: int, house_pk: int) -> HttpResponse:
    household = _get(request, pk, "change")
    house = get_object_or_404(household.houses, pk=house_pk)
    try:
        services.delete_house(actor=_user(request), house=house)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("households:detail", pk=household.pk)
    messages.success(request, _("房屋已删除。"))
    return redirect("households:detail", pk=household.pk)


@allow(Household, "change")
def category_edit(request: HttpRequest, pk: int, category_pk: int | None = None) -> HttpResponse:
    household = _get(request, pk, "change")
    category = get_object_or_404(household.categories, pk=category_pk) if category_pk else None
    initial = {f: getattr(category, f) for f in ("code", "source", "start_date", "end_date")} if category else {}
    form = CategoryForm(request.POST or None, initial=initial or {"start_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.save_category(actor=_user(request), household=household, category=category, **form.cleaned_data)
            messages.success(request, _("农户类别已保存。"))
            return redirect("households:detail", pk=household.pk)
        except ValidationError as exc:
            form_errors(form, exc)
    return _archive_form(request, form, household, title=_("%(n)s户 · 农户类别") % {"n": household.head_name},
                         form_id="category-form")  # fmt: skip
