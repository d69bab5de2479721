from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from codetables.models import Table
from codetables.selectors import names
from core.paging import paginate
from core.pdf import attachment
from core.uploads import send_temporary, temp_path
from core.views import allow, form_errors, obj_or_404, restricted, user_of
from households.models import House, Household
from inspections import campaign_workflow, grading, quantitative, selectors, services, weekly_xlsx
from inspections.forms import AppraisalForm, CampaignForm, InspectionForm, WeeklyForm
from inspections.models import Appraisal, AppraisalTask, AppraisalTaskStatus, Campaign, Inspection
from training.models import PersonKind, Trainee


@allow("inspections.Campaign")
def campaigns(request: HttpRequest) -> HttpResponse:
    page = paginate(restricted(request, selectors.campaigns_for(user_of(request))), request.GET.get("page"))
    for c in page.items:
        c.households = selectors.household_total(c)  # type: ignore[attr-defined]
    return render(request, "inspections/campaigns.html", {"page": page, "today": timezone.localdate()})


@allow("inspections.Campaign", "change")
def campaign_new(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = CampaignForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.start_campaign(actor=user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            form_errors(form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
        else:
            messages.success(request, _("排查工作已发起，共生成 %(n)d 户排查任务。") % {"n": campaign.task_count})
            return redirect("inspections:campaign", pk=campaign.pk)
    return render(request, "core/form_page.html", {"form": form, "title": _("发起排查"), "form_id": "campaign-form"})


@allow("inspections.Campaign")
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    campaign = obj_or_404(request, selectors.campaigns_for(user), pk=pk)
    prefix = selectors.view_prefix(user, campaign, request.GET.get("unit", ""))
    today = timezone.localdate()
    rows, total = selectors.progress(campaign, prefix, today)
    pending = None
    if len(prefix) == 12:  # a village: the households still to inspect
        pending = paginate(
            selectors.pending_households(campaign, prefix).order_by("group_name", "head_name"), request.GET.get("page")
        )
    trail = [prefix[:n] for n in selectors.LEVEL_LENGTHS if len(campaign.scope) <= n <= len(prefix)]
    return render(request, "inspections/campaign.html", {
        "campaign": campaign, "rows": rows, "total": total, "prefix": prefix, "pending": pending, "trail": trail,
        "today": today, "leaf": len(prefix) == 9, "note": selectors.coverage_note(campaign, prefix, total.total),
        "may_close": campaign_workflow.may(campaign, "close", user), "state_label": _state_label(campaign),
    })  # fmt: skip


def _state_label(campaign: Campaign) -> str:
    return campaign_workflow.MACHINE.label(campaign.state)


@allow("inspections.Campaign", "change")
@require_POST
def campaign_close(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign's one step (结束排查), taken by the service; a refusal is shown with its reasons."""
    user = user_of(request)
    campaign = obj_or_404(request, selectors.campaigns_for(user), pk=pk)
    try:
        services.close_campaign(actor=user, campaign=campaign, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("排查工作已结束，统计以结束时范围内的农户为准。"))
    return redirect("inspections:campaign", pk=campaign.pk)


def _household(request: HttpRequest, pk: int) -> Household:
    return obj_or_404(request, Household, pk=pk)  # type: ignore[no-any-return]


@allow("inspections.Inspection", "change")
def inspect(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    household = _household(request, pk)
    form = InspectionForm(request.POST or None, initial={
        "uid": uuid.uuid4(), "inspector_name": user.display_name, "in_campaign": request.GET.get("campaign", "")})  # fmt: skip
    if request.method == "POST" and form.is_valid() and _upload_ok(request, form):
        d = form.cleaned_data
        data = services.InspectionInput(
            household_id=household.pk, inspected_on=d["inspected_on"], verdict=d["verdict"], uid=d["uid"],
            campaign_id=d["in_campaign"], inspector_name=d["inspector_name"], risk_parts=d["risk_parts"], measure=d["measure"],
            answers=form.answers(), household_confirmed=d["household_confirmed"], confirmed_by=d["confirmed_by"], note=d["note"],
        )  # fmt: skip
        try:
            inspection, created = services.record_inspection(actor=user, data=data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            if created:
                messages.success(request, _("排查记录已保存。") + (
                    _("该房屋疑似不安全，已生成鉴定任务。") if inspection.verdict == "suspect" else ""))  # fmt: skip
                _warn_failed(request, _attach_photos(request, "inspection", inspection.uid))
            return redirect("households:detail", pk=household.pk)
    return render(request, "inspections/inspect.html", {"form": form, "household": household})


@allow("inspections.HouseSafety")
def household_safety(request: HttpRequest, pk: int) -> HttpResponse:
    """The household page's section on house safety: grades, inspections, appraisals (loaded by htmx)."""
    household = _household(request, pk)
    houses = list(household.houses.select_related("safety").order_by("-is_dwelling", "id"))
    on = parse_date(request.GET.get("on", "") or "")
    if on is not None:  # the grade in force on a past day, from the grade history
        for house in houses:
            house.as_of = selectors.grade_on(house, on)  # type: ignore[attr-defined]
    return render(request, "inspections/_household_safety.html", {
        "h": household, "houses": houses, "on": on, "cases": _cases_with_files(household), "states": _states(),
        "inspections": Inspection.objects.filter(household=household).order_by("-inspected_on", "-id")[:20],
        "appraisals": Appraisal.objects.filter(household=household).order_by("-appraised_on", "-id")[:20],
        "pending": AppraisalTask.objects.filter(household=household, status=AppraisalTaskStatus.PENDING).exists(),
    })  # fmt: skip


def _cases_with_files(household: Household) -> list[Any]:
    """The household's renovation cases, each with its documents and the number of its photos (the archive lists them)."""
    from django.db.models import Count

    from field.models import Photo
    from renovation.views import documents_for

    cases = list(household.cases.order_by("-year", "-id"))
    counts = dict(Photo.objects.filter(record_uid__in=[c.uid for c in cases], completed_at__isnull=False)
                  .values("record_uid").annotate(n=Count("id")).values_list("record_uid", "n"))  # fmt: skip
    for c in cases:
        c.documents, c.photo_count = documents_for(c), counts.get(c.uid, 0)  # type: ignore[attr-defined]
    return cases


def _states() -> dict[str, Any]:
    from renovation.workflow import STATES

    return STATES


@allow("inspections.AppraisalTask")
def appraisal_tasks(request: HttpRequest) -> HttpResponse:
    qs = (
        restricted(request, AppraisalTask)
        .filter(status=AppraisalTaskStatus.PENDING)
        .select_related("household", "house", "inspection")
        .order_by("created_at", "id")
    )
    return render(request, "inspections/appraisal_tasks.html", {"page": paginate(qs, request.GET.get("page"))})


def _appraiser_choices(user: Any) -> list[tuple[int, str]]:
    people = Trainee.objects.filter(kind=PersonKind.APPRAISER, is_active=True)
    region = user.region_id or ""
    ancestors = [region[:n].ljust(12, "0") for n in selectors.LEVEL_LENGTHS if n <= len(region)]
    people = people.filter(selectors.prefix_filter(region)) | people.filter(region_code__in=ancestors)
    return [(t.pk, f"{t.name}（{t.organisation}）" if t.organisation else t.name) for t in people.order_by("name")]


@allow(Appraisal, "change")
def appraise(request: HttpRequest, house_pk: int) -> HttpResponse:
    user = user_of(request)
    house = obj_or_404(request, House.objects.select_related("household"), pk=house_pk)

    def save(data: services.AppraisalInput) -> Appraisal:
        return services.record_appraisal(actor=user, data=data)[0]

    return appraisal_page(request, house, _appraiser_choices(user), save)


def appraisal_page(
    request: HttpRequest,
    house: House,
    choices: list[tuple[int, str]],
    save: Callable[[services.AppraisalInput], Appraisal],
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """The national appraisal form for one house, used for appraisals and for third-party re-appraisals."""
    user = user_of(request)
    mine = Trainee.objects.filter(user=user).first()
    initial = {"uid": uuid.uuid4(), "appraisers": [mine.pk] if mine else [], "organisation": mine.organisation if mine else ""}
    form = AppraisalForm(request.POST or None, appraisers=choices, initial=initial | (extra or {}).get("initial", {}))
    components = {k: (request.POST.get(f"c_{k}") or None) for k in grading.applicable(house.structure_type)}
    if request.method == "POST" and form.is_valid() and _upload_ok(request, form):
        d = form.cleaned_data
        try:
            appraisal = save(services.AppraisalInput(
                house_id=house.pk, appraised_on=d["appraised_on"], components=components, prevention=d["prevention"],
                appraiser_ids=[int(x) for x in d["appraisers"]], organisation=d["organisation"], uid=d["uid"],
                site_dangerous=d["site_dangerous"], site_note=d["site_note"], raised_to=d["raised_to"],
                raise_reason=d["raise_reason"], conclusion=d["conclusion"],
                component_notes={k: request.POST.get(f"n_{k}", "")[:500] for k in components if request.POST.get(f"n_{k}")},
                quantitative_counts=_counts(request.POST),
            ))  # fmt: skip
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("鉴定已保存：%(g)s级。") % {"g": appraisal.grade})
            _warn_failed(request, _attach_photos(request, "appraisal", appraisal.uid))
            return redirect("inspections:appraisal", pk=appraisal.pk)
    return render(request, "inspections/appraise.html", {
        "form": form, "house": house, "household": house.household, "rules": grading.rules_payload(),
        "structure": house.structure_type, "structure_name": names(Table.STRUCTURE_TYPE).get(house.structure_type, ""),
        "components": [grading.BY_KEY[k] for k in grading.applicable(house.structure_type)], "picked": components,
        "absent": grading.ABSENT, "blank_keys": grading.blanks(house.structure_type, components) if request.POST else (),
        "quant_rows": QUANT_ROWS, **(extra or {}),
    })  # fmt: skip


def _warn_failed(request: HttpRequest, failed: list[str]) -> None:
    if failed:
        messages.warning(request, _("以下照片未能保存：%(f)s") % {"f": "；".join(failed)})


def _upload_ok(request: HttpRequest, form: Any) -> bool:
    """False (and the reason on the form) when the photos were too large and their upload was stopped."""
    from core.uploads import check_upload

    try:
        check_upload(request)
    except ValidationError as exc:
        form.add_error(None, exc)
        return False
    return True


def _attach_photos(request: HttpRequest, kind: str, record_uid: uuid.UUID) -> list[str]:
    """Photos uploaded as `photo_<part>` (a component, `site` or `overview`); returns what could not be kept, with why."""
    from core.errors import message_text
    from field.sync import attach_upload, upload_notes

    failed = []
    for name in request.FILES:
        part = name.removeprefix("photo_")
        for upload in request.FILES.getlist(name):
            try:
                kept = attach_upload(actor=user_of(request), kind=kind, record_uid=record_uid, part=part, data=upload)
                if notes := upload_notes(kept):  # the same evidence checks as the field app's photos, told at once
                    messages.warning(request, f"{upload.name}：{'；'.join(notes)}")
            except (ValidationError, PermissionDenied) as exc:
                failed.append(f"{upload.name}（{message_text(exc)}）")
    return failed


QUANT_ROWS = [
    ("foundation", "地基基础（构件）"),
    *[(k, f"上部承重结构：{label}") for k, label in quantitative.MEMBER_LABELS.items()],
    ("enclosure", "围护结构（构件）"),
]


def _counts(post: Any) -> dict[str, Any] | None:
    """The 2009 method's member counts from the form (`q_<part>_d` / `q_<part>_n`), when any were given."""

    def pair(key: str) -> tuple[int, int]:
        try:
            return int(post.get(f"q_{key}_d") or 0), int(post.get(f"q_{key}_n") or 0)
        except ValueError:
            raise ValidationError({"quantitative": _("定量方法的构件数须为整数。")}) from None

    if not any(post.get(k) for k in post if k.startswith("q_")):
        return None
    return {"foundation": pair("foundation"), "enclosure": pair("enclosure"),
            "members": {k: pair(k) for k in quantitative.MEMBER_WEIGHTS}}  # fmt: skip


@allow(Appraisal)
def appraisal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appraisal = _visible_appraisal(request, pk)
    return render(request, "inspections/appraisal.html", _sheet_context(appraisal) | {"photos": _photos(appraisal, inline=False)})


def _visible_appraisal(request: HttpRequest, pk: int) -> Appraisal:
    return obj_or_404(request, Appraisal.objects.select_related("house", "household"), pk=pk)  # type: ignore[no-any-return]


def _sheet_context(appraisal: Appraisal) -> dict[str, Any]:
    """What the appraisal sheet shows, on the page and in the PDF alike."""
    # every component the form had, and any the structure type asks for: one missing from an appraisal
    # stored before ADR 0031 reads "未填", never "不适用"
    shown = set(appraisal.components) | set(grading.applicable(appraisal.structure_type))
    rows = [
        (c, grading.answer_label(answer := appraisal.components.get(c.key)),
         c.criteria.get(answer, "") if answer else "", appraisal.component_notes.get(c.key, ""))
        for c in grading.COMPONENTS
        if c.key in shown
    ]  # fmt: skip
    result = grading.Result(appraisal.computed_grade, appraisal.rule, tuple(
        k for k, g in appraisal.components.items() if g and g.upper() == appraisal.computed_grade) or (
        ("site",) if appraisal.rule == "R1" else ()))  # fmt: skip
    return {
        "a": appraisal, "rows": rows, "explanation": result.explanation,
        "structure_name": names(Table.STRUCTURE_TYPE).get(appraisal.structure_type, appraisal.structure_type),
    }  # fmt: skip


@allow("inspections.Campaign")
def weekly(request: HttpRequest) -> HttpResponse | FileResponse:
    user = user_of(request)
    visible = selectors.campaigns_for(user)
    form = WeeklyForm(request.GET or None, campaigns=[(c.pk, c.name) for c in visible[:50]])
    d = form.cleaned_data if form.is_valid() else {}
    week_end = d.get("week_end") or selectors.last_thursday(timezone.localdate())
    campaign = visible.filter(pk=d["campaign"]).first() if d.get("campaign") else None
    prefix = request.GET.get("unit", "")
    if not (prefix.startswith(user.region_id or "-") and len(prefix) in selectors.LEVEL_LENGTHS):
        prefix = user.region_id or ""
    table = selectors.weekly_table(prefix, week_end, campaign)
    note = selectors.coverage_note(campaign, prefix, table.total.values["households"])
    if request.GET.get("format") == "xlsx":
        return _weekly_file(table, note)
    query = request.GET.copy()
    query.pop("unit", None)
    return render(request, "inspections/weekly.html", {
        "form": form, "table": table, "groups": weekly_xlsx.GROUPS, "query": query.urlencode(),
        "drill": len(prefix) < 9, "note": note,
    })  # fmt: skip


def _weekly_file(table: selectors.WeeklyTable, note: str) -> FileResponse:
    tmp = temp_path(".xlsx")
    weekly_xlsx.write(tmp, table, note)
    name = f"农户住房安全排查情况统计表_{table.week_end:%Y%m%d}.xlsx"
    return send_temporary(tmp, name)


def _photos(appraisal: Appraisal, inline: bool) -> list[tuple[str, str, Any]]:
    """(caption, src, photo) of the appraisal's photos: data URIs for the PDF, the scoped photo view for the page.
    The photo goes along so the sheet shows what stands behind it (field_evidence.evidence_badge)."""
    import base64

    from django.urls import reverse

    from field.models import Photo

    out = []
    for p in Photo.objects.filter(record_uid=appraisal.uid, completed_at__isnull=False).order_by("created_at"):
        label = grading.BY_KEY[p.part].label if p.part in grading.BY_KEY else (_("场地") if p.part == "site" else _("现场"))
        if inline:
            with p.file.open("rb") as f:
                out.append((label, f"data:{p.content_type};base64,{base64.b64encode(f.read()).decode()}", p))
        else:
            out.append((label, reverse("field:photo", args=[p.uid]), p))
    return out


@allow(Appraisal)
def appraisal_pdf(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    from django.template.loader import render_to_string

    from core.pdf import PdfUnavailable, html_to_pdf

    appraisal = _visible_appraisal(request, pk)
    context = _sheet_context(appraisal) | {"photos": _photos(appraisal, inline=True)}
    path = temp_path(".pdf")
    try:
        html_to_pdf(render_to_string("inspections/appraisal_pdf.html", context, request=request), path)
    except PdfUnavailable as exc:
        path.unlink(missing_ok=True)
        messages.error(request, str(exc))
        return redirect("inspections:appraisal", pk=pk)
    return attachment(path, f"鉴定表_{appraisal.household.head_name}_{appraisal.appraised_on:%Y%m%d}.pdf")


@allow("inspections.HouseSafety")
def house_label(request: HttpRequest, house_pk: int) -> HttpResponse | FileResponse:
    """One house's label and policy card as an A5 PDF."""
    from core.pdf import PdfUnavailable
    from inspections import labels
    from inspections.models import HouseSafety

    safety = obj_or_404(request, HouseSafety.objects.select_related("household"), pk=house_pk)
    path = temp_path(".pdf")
    try:
        labels.write_pdf(path, HouseSafety.objects.filter(pk=safety.pk).select_related("household"))
    except PdfUnavailable as exc:
        path.unlink(missing_ok=True)
        messages.error(request, str(exc))
        return redirect("households:detail", pk=safety.household_id)
    return attachment(path, f"房屋安全标识_{safety.household.head_name}.pdf")


@allow("inspections.HouseSafety", "export")
def village_labels(request: HttpRequest) -> HttpResponse:
    """Choose a village; its labels print in the background (progress on the export page)."""
    from django.db.models import Count

    from exchange.services import start_export
    from inspections.models import HouseSafety

    user = user_of(request)
    if request.method == "POST":
        village = request.POST.get("village", "")
        if len(village) != 12 or not user.covers(village):
            messages.error(request, _("请选择您管辖范围内的一个村。"))
        else:
            job = start_export(user=user, params={"village": village}, kind="labels")
            return redirect("exchange:export_detail", pk=job.pk)
    villages = (
        restricted(request, HouseSafety, "export").filter(checked_on__isnull=False)
        .values("region_code").annotate(n=Count("pk")).order_by("region_code")
    )  # fmt: skip
    return render(request, "inspections/village_labels.html", {"villages": villages})
