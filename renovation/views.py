"""Pages of renovation cases: the list with batch actions, a case with its steps, notices, the ranking."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Cap
from core.errors import ConflictError, message_text
from core.paging import paginate
from core.views import allow, obj_or_404, pdf_download, restricted, user_of
from households.models import House
from renovation import dates, notices, selectors, services, workflow
from renovation.models import Case, Mode, Notice, NoticeLevel, Objection
from training.models import PersonKind, Trainee


def _cases(request: HttpRequest) -> QuerySet[Case]:
    return restricted(request, Case)


def filtered(request: HttpRequest) -> tuple[QuerySet[Case], dict[str, str]]:
    params = {k: str(v).strip() for k, v in request.GET.items() if k != "page" and str(v).strip()}
    qs = selectors.filter_cases(_cases(request).select_related("household"), params, timezone.localdate())
    return qs, params


@allow(Case)
def case_list(request: HttpRequest) -> HttpResponse:
    qs, params = filtered(request)
    user = user_of(request)
    level = len(user.region_id or "")
    actions = [s for s in workflow.PERSON_STEPS if s.who is not None and s.who.cap in user.caps and level in s.who.levels]
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return render(
        request,
        "renovation/cases.html",
        {
            "page": paginate(qs, request.GET.get("page")),
            "params": params,
            "query": query,
            "states": workflow.STATES,
            "completed_states": workflow.COMPLETED_OR_LATER,
            "modes": Mode.choices,
            "actions": actions,
            "today": timezone.localdate(),
            "years": _years(),
        },
    )


def _years() -> list[int]:
    this = timezone.localdate().year
    return list(range(this + 1, this - 6, -1))


@allow(Case, "change")
@require_POST
def batch_action(request: HttpRequest) -> HttpResponse:
    ids = [int(x) for x in request.POST.getlist("case") if x.isdigit()]
    visible = list(_cases(request).filter(pk__in=ids).values_list("pk", flat=True))
    if not visible:
        messages.error(request, _("请先勾选改造户。"))
        return redirect(request.POST.get("next") or "renovation:cases")
    result = services.transition_many(
        actor=user_of(request), case_ids=visible, action=request.POST.get("action", ""), comment=request.POST.get("comment", "")
    )
    if result.moved:
        messages.success(request, _("已办理 %(n)d 户。") % {"n": len(result.moved)})
    for case_id, reason in list(result.refused.items())[:20]:
        messages.error(request, _("第 %(id)d 号未办理：%(r)s") % {"id": case_id, "r": reason})
    return redirect(request.POST.get("next") or "renovation:cases")


@allow(Case, "change")
@require_POST
def open_case(request: HttpRequest, house_pk: int) -> HttpResponse:
    house = obj_or_404(request, House, pk=house_pk)
    try:
        case = services.open_case(actor=user_of(request), house_id=house.pk)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, message_text(exc))
        return redirect("households:detail", pk=house.household_id)
    messages.success(request, _("已纳入危房改造，待村民主评议。"))
    return redirect("renovation:case", pk=case.pk)


def _case(request: HttpRequest, pk: int) -> Case:
    qs = Case.objects.select_related("household", "house", "appraisal", "builder")
    return obj_or_404(request, qs, pk=pk)  # type: ignore[no-any-return]


@allow(Case)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from field.models import Photo
    from funds.models import Payment

    case = _case(request, pk)
    user = user_of(request)
    steps = workflow.available(case, len(user.region_id or ""), user.caps)
    corrections = [s for s in steps if s.action in workflow.CORRECT_ACTIONS]
    photos = Photo.objects.filter(record_uid=case.uid, completed_at__isnull=False).order_by("created_at")
    builders = Trainee.objects.filter(kind__in=[PersonKind.CRAFTSMAN, PersonKind.FIRM], is_active=True).order_by("name")[:200]
    return render(
        request,
        "renovation/case.html",
        {
            "c": case,
            "steps": [s for s in steps if s.action not in workflow.OWN_FORM],
            "can_correct": bool(corrections),
            "dated_actions": DATED_ACTIONS,
            "initial_state": workflow.MACHINE.initial,
            "stage_dates": [
                (stage, dates.STAGE_NAMES[stage], getattr(case, column))
                for stage, column in workflow.STAGE_DATES.items()
                if getattr(case, column) is not None
            ],
            "can_accept": any(s.action == "accept" for s in steps),
            "events": case.events.select_related("actor"),
            "photos": photos,
            "modes": Mode.choices,
            "builders": builders,
            "states": workflow.STATES,
            "objections": case.objections.all(),
            "on_notice": case.state in workflow.NOTICE_STATE.values(),
            "notices": case.notices.all(),
            "payments": Payment.objects.filter(case=case).select_related("batch"),
            "items": services.ACCEPTANCE_ITEMS,
            "stage_parts": services.STAGE_LABELS,
            "terms_open": case.state in workflow.TERMS_OPEN,
            "can_terms": user.can(Cap.CASE_APPROVE),
            "can_build": user.can(Cap.CASE_BUILD),
            "can_review": user.can(Cap.CASE_REVIEW),
            "documents": documents_for(case),
        },
    )


DATED_ACTIONS = (*workflow.STAGE_DATES, "demolish")  # steps whose form asks the day it happened


def _back(case: Case) -> HttpResponse:
    return redirect("renovation:case", pk=case.pk)


@allow(Case, "change")
@require_POST
def case_step(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    p = request.POST
    try:
        on = _date(p.get("on", ""))
        version = int(p["version"]) if p.get("version", "").isdigit() else case.version
        if p.get("action") == "correct":
            if on is None:
                raise ValidationError(_("请填写更正后的日期。"))
            services.correct_date(
                actor=user_of(request),
                case_id=case.pk,
                stage=p.get("stage", ""),
                on=on,
                reason=p.get("comment", ""),
                version=version,
            )
        else:
            services.transition(
                actor=user_of(request),
                case_id=case.pk,
                action=p.get("action", ""),
                comment=p.get("comment", ""),
                version=version,
                on=on,
            )
    except (ValidationError, PermissionDenied, ConflictError) as exc:
        messages.error(request, message_text(exc))
    else:
        messages.success(request, _("已办理。"))
    return _back(case)


def _date(value: str) -> dt.date | None:
    try:
        return parse_date(value.strip()) if value.strip() else None
    except ValueError:
        raise ValidationError(_("日期格式不正确，应为“年-月-日”。")) from None


def _decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value.strip() else None
    except InvalidOperation:
        raise ValidationError(_("金额或面积须为数字。")) from None


@allow(Case, "approve")
@require_POST
def case_terms(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    p = request.POST
    try:
        terms = services.Terms(
            mode=p.get("mode", ""),
            build_method=p.get("build_method", ""),
            planned_area=_decimal(p.get("planned_area", "")),
            subsidy=_decimal(p.get("subsidy", "")),
            builder_id=int(p["builder"]) if p.get("builder", "").isdigit() else None,
            guarantee_evidence=p.get("guarantee_evidence", ""),
        )
        services.set_terms(actor=user_of(request), case_id=case.pk, terms=terms, version=int(p.get("version") or case.version))
    except (ValidationError, PermissionDenied, ConflictError) as exc:
        messages.error(request, message_text(exc))
    else:
        messages.success(request, _("改造方式和补助已保存。"))
    return _back(case)


@allow(Case, "change")
@require_POST
def case_photos(request: HttpRequest, pk: int) -> HttpResponse:
    from core.uploads import uploaded_files
    from field.sync import attach_upload, upload_notes

    case = _case(request, pk)
    part = request.POST.get("part", "")
    try:
        files = uploaded_files(request, "photos")
    except ValidationError as exc:
        messages.error(request, message_text(exc))
        return _back(case)
    if part not in services.STAGE_LABELS or not files:
        messages.error(request, _("请选择施工节点和照片。"))
        return _back(case)
    kept = 0
    for upload in files:
        try:
            kept_photo = attach_upload(actor=user_of(request), kind="case", record_uid=case.uid, part=part, data=upload)
            kept += 1
            if notes := upload_notes(kept_photo, stage=True):
                messages.warning(request, f"{upload.name}：{'；'.join(notes)}")
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, f"{upload.name}：{message_text(exc)}")
    if kept:
        messages.success(request, _("已上传%(s)s照片 %(n)d 张。") % {"s": services.STAGE_LABELS[part], "n": kept})
    return _back(case)


@allow(Case, "change")
@require_POST
def case_accept(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    p = request.POST
    data = services.AcceptanceInput(
        checklist={k: p.get(f"item_{k}", "") for k in services.ACCEPTANCE_ITEMS},
        household_agrees=p.get("household_agrees") == "on",
        household_signatory=p.get("household_signatory", ""),
        inspectors=p.get("inspectors", ""),
        accepted_on=timezone.localdate(),
        note=p.get("note", ""),
    )
    try:
        data.accepted_on = _date(p.get("accepted_on", "")) or data.accepted_on
        services.accept(actor=user_of(request), case_id=case.pk, data=data)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, message_text(exc))
    else:
        messages.success(request, _("竣工验收已通过。"))
    return _back(case)


@allow(Objection, "change")
@require_POST
def objection(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    try:
        if request.POST.get("objection"):
            found = get_object_or_404(Objection.objects.filter(case=case), pk=request.POST["objection"])
            notices.resolve_objection(
                actor=user_of(request),
                objection_id=found.pk,
                resolution=request.POST.get("resolution", ""),
                upheld=request.POST.get("upheld") == "1",
            )
        else:
            notices.record_objection(actor=user_of(request), case_id=case.pk, content=request.POST.get("content", ""))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, message_text(exc))
    else:
        messages.success(request, _("异议已登记。") if not request.POST.get("objection") else _("异议已处理。"))
    return _back(case)


# --- documents -------------------------------------------------------------------------------------

DOCUMENTS = {"agreement": "改造协议", "acceptance": "竣工验收表", "card": "明白卡", "cover": "档案封面"}


@allow(Case)
def case_document(request: HttpRequest, pk: int, kind: str) -> HttpResponseBase:
    from core.masking import mask_id_number
    from funds.models import Payment
    from regions.selectors import name_of

    case = _case(request, pk)
    if kind not in DOCUMENTS:
        raise PermissionDenied
    if kind == "acceptance" and not hasattr(case, "acceptance"):
        messages.error(request, _("尚未竣工验收。"))
        return _back(case)
    html = render_to_string(
        f"renovation/doc_{kind}.html",
        {
            "c": case,
            "h": case.household,
            "title": DOCUMENTS[kind],
            "village": f"{name_of(case.region_code[:9])}{name_of(case.region_code)}",
            "head_id": mask_id_number(case.household.head_id),
            "items": services.ACCEPTANCE_ITEMS,
            "marks": services.CHECK_VALUES,
            "events": case.events.all(),
            "payments": Payment.objects.filter(case=case, status="paid"),
            "county": name_of(case.region_code[:6]),
            "town": name_of(case.region_code[:9]),
            "states": workflow.STATES,
        },
        request=request,
    )
    return pdf_download(
        request, html, f"{DOCUMENTS[kind]}_{case.household.head_name}.pdf", reverse("renovation:case", args=[case.pk])
    )


# --- notices -----------------------------------------------------------------------------------------

LEVEL_BY_LENGTH = {12: "village", 9: "town", 6: "county"}


@allow(Notice)
def notice_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    qs = restricted(request, Notice)
    return render(
        request,
        "renovation/notices.html",
        {"page": paginate(qs, request.GET.get("page")), "query": "", "level": LEVEL_BY_LENGTH.get(len(user.region_id or ""))},
    )


@allow(Notice, "change")
def notice_new(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    level = LEVEL_BY_LENGTH.get(len(user.region_id or ""))
    if level is None:
        raise PermissionDenied(_("公示由村、乡镇或县级发布。"))
    source = workflow.NOTICE_FROM[level]
    candidates = restricted(request, Case, "change").filter(state=source).select_related("household").order_by("region_code")
    if request.method == "POST":
        ids = [int(x) for x in request.POST.getlist("case") if x.isdigit()]
        try:
            start = _date(request.POST.get("start_date", "")) or timezone.localdate()
            end = _date(request.POST.get("end_date", ""))
            notice = notices.publish(
                actor=user,
                level=level,
                scope=user.region_id or "",
                case_ids=ids,
                start_date=start,
                end_date=end,
                hotline=request.POST.get("hotline", ""),
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, message_text(exc))
        else:
            messages.success(request, _("公示已发布，共 %(n)d 户。") % {"n": notice.cases.count()})
            return redirect("renovation:notice", pk=notice.pk)
    from renovation.rules import notice_days

    return render(
        request,
        "renovation/notice_new.html",
        {
            "level": NoticeLevel(level).label,
            "cases": candidates[:500],
            "days": notice_days(level),
            "today": timezone.localdate(),
            "given": request.POST if request.method == "POST" else {},
            "state": workflow.MACHINE.label(source),
        },
    )


@allow(Notice)
def notice_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    notice = obj_or_404(request, Notice, pk=pk)
    if request.GET.get("format") == "pdf":
        return pdf_download(
            request, notices.notice_html(notice), f"{notice.title}.pdf", reverse("renovation:notice", args=[notice.pk])
        )
    return render(
        request, "renovation/notice.html", {"n": notice, "cases": notices.notice_cases(notice), "today": timezone.localdate()}
    )


# --- the daily ranking ---------------------------------------------------------------------------------


@allow("renovation.ProgressReport", post="change")
def ranking(request: HttpRequest) -> HttpResponse:
    from renovation.models import ProgressReport

    user = user_of(request)
    own = user.region_id or ""
    prefix = request.GET.get("region", "") if request.GET.get("region", "").startswith(own) else own
    prefix = prefix if len(prefix) in (4, 6) else (own[:6] if len(own) >= 6 else own[:4])
    year = int(request.GET["year"]) if request.GET.get("year", "").isdigit() else timezone.localdate().year
    today = timezone.localdate()
    if request.method == "POST":
        try:
            services.publish_ranking(actor=user, prefix=prefix, year=year)
            messages.success(request, _("今日排名已通报。"))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        return redirect(f"{request.path}?region={prefix}&year={year}")
    rows = selectors.ranking(prefix, year, today)
    published = ProgressReport.objects.filter(region_code=prefix.ljust(12, "0"), year=year)[:10]
    return render(
        request,
        "renovation/ranking.html",
        {
            "rows": rows,
            "prefix": prefix,
            "year": year,
            "today": today,
            "published": published,
            "years": _years(),
            "can_publish": user.can(Cap.CASE_APPROVE) and len(own) <= 6,
        },
    )


def documents_for(case: Case) -> list[tuple[str, str]]:
    return [(k, v) for k, v in DOCUMENTS.items() if k != "acceptance" or hasattr(case, "acceptance")]
