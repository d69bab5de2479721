from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from core.paging import paginate
from core.uploads import send_temporary, serve_user_file, temp_path, uploaded_file
from core.views import allow, obj_or_404, restricted
from exchange import household_export, mappings, services
from exchange.household_columns import BY_KEY, COLUMNS
from exchange.models import ExportJob, ImportJob
from exchange.recovery import is_stale
from households.filters import HouseholdFilterForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _own_imports(request: HttpRequest):  # type: ignore[no-untyped-def]
    return restricted(request, ImportJob)


@allow(ImportJob)
def import_list(request: HttpRequest) -> HttpResponse:
    page = paginate(_own_imports(request), request.GET.get("page"), per_page=20)
    return render(request, "exchange/import_list.html", {"page": page, "query": ""})


@allow(ImportJob, "change")
@require_POST
def import_upload(request: HttpRequest) -> HttpResponse:
    try:
        upload = uploaded_file(request, "file")
        if upload is None:
            messages.error(request, _("请选择要导入的文件。"))
            return redirect("exchange:imports")
        job = services.start_import(user=_user(request), upload=upload)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("exchange:imports")
    return redirect("exchange:import_detail", pk=job.pk)


def _detail_context(job: ImportJob, choices: dict[str, str] | None = None) -> dict[str, object]:
    """The job's page; at the mapping step each column with its selected field (the posted choice
    when the form comes back refused), the catalogue to choose from and the page's warnings."""
    context: dict[str, object] = {"job": job, "stale": services.is_stale(job)}
    if job.status in (ImportJob.Status.MAPPING, ImportJob.Status.VALIDATED, ImportJob.Status.DONE) and job.proposal:
        rows = mappings.selections(job.proposal, job.mapping)
        if choices is not None:
            rows = [(c, choices.get(f"col_{n}", chosen)) for n, (c, chosen) in enumerate(rows)]
        context.update(
            columns=[(n, c, chosen, BY_KEY[chosen].header if chosen in BY_KEY else "") for n, (c, chosen) in enumerate(rows)],
            fields=[(c.key, c.header, c.required) for c in COLUMNS],
            warnings=mappings.warnings_for(job.proposal, {c["key"]: chosen for c, chosen in rows}),
        )
    return context


@allow(ImportJob)
def import_detail(request: HttpRequest, pk: str) -> HttpResponse:
    job = obj_or_404(request, _own_imports(request), pk=pk)
    template = "exchange/_import_status.html" if request.headers.get("HX-Request") else "exchange/import_detail.html"
    return render(request, template, _detail_context(job))


@allow(ImportJob, "change")
@require_POST
def import_mapping(request: HttpRequest, pk: str) -> HttpResponse:
    """The uploader confirms each column's field; a refused form comes back with the choices made and
    what is wrong, in Chinese."""
    job = obj_or_404(request, _own_imports(request), pk=pk)
    choices = {k: str(v) for k, v in request.POST.items() if k.startswith("col_")}
    try:
        services.confirm_mapping(user=_user(request), job=job, choices=choices)
    except ValidationError as exc:
        if job.status != ImportJob.Status.MAPPING:
            messages.error(request, " ".join(exc.messages))
            return redirect("exchange:import_detail", pk=job.pk)
        context = _detail_context(job, choices) | {"mapping_errors": exc.messages}
        return render(request, "exchange/import_detail.html", context, status=400)
    return redirect("exchange:import_detail", pk=job.pk)


@allow(ImportJob, "change")
@require_POST
def import_action(request: HttpRequest, pk: str, action: str) -> HttpResponse:
    job = obj_or_404(request, _own_imports(request), pk=pk)
    actions = {"confirm": services.confirm_import, "cancel": services.cancel_import, "resume": services.resume_import,
               "restart": services.restart_import, "remap": services.remap_import}  # fmt: skip
    if action not in actions:
        raise Http404
    try:
        actions[action](user=_user(request), job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("exchange:import_detail", pk=job.pk)


@allow(ImportJob)
def import_errors(request: HttpRequest, pk: str) -> HttpResponseBase:
    job = obj_or_404(request, _own_imports(request), pk=pk)
    if not job.errors_path or not Path(job.errors_path).exists():
        raise Http404
    name = f"{Path(job.original_name).stem}_错误行.xlsx"
    return serve_user_file(open(job.errors_path, "rb"), content_type=XLSX, filename=name)


@allow(ImportJob, "change")
def import_template(request: HttpRequest) -> HttpResponseBase:
    tmp = temp_path(".xlsx")
    household_export.template(tmp)
    return send_temporary(tmp, "农户档案导入模板.xlsx", XLSX)


def _own_exports(request: HttpRequest):  # type: ignore[no-untyped-def]
    return restricted(request, ExportJob)


@allow(ExportJob)
def export_list(request: HttpRequest) -> HttpResponse:
    page = paginate(_own_exports(request), request.GET.get("page"), per_page=20)
    return render(request, "exchange/export_list.html", {"page": page, "query": ""})


@allow(ExportJob, "change")
@require_POST
def export_new(request: HttpRequest) -> HttpResponse:
    """Export the list the user is looking at: its filters come along in the query string."""
    kind = request.POST.get("kind", "households")
    if kind in ("households", "ledger"):  # both export the household list with its filters
        form = HouseholdFilterForm(request.GET or None)
        params = {k: v for k, v in (form.cleaned_data if form.is_valid() else {}).items() if v not in (None, "", False)}
    else:
        params = {k: v for k, v in request.GET.items() if k != "page" and v}
    unmasked = request.POST.get("unmasked") == "1"
    try:
        job = services.start_export(user=_user(request), params=params, unmasked=unmasked,
                                    reason=request.POST.get("reason", ""), kind=kind)  # fmt: skip
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("exchange:exports")
    return redirect("exchange:export_detail", pk=job.pk)


@allow(ExportJob)
def export_detail(request: HttpRequest, pk: str) -> HttpResponse:
    job = obj_or_404(request, _own_exports(request), pk=pk)
    template = "exchange/_export_status.html" if request.headers.get("HX-Request") else "exchange/export_detail.html"
    return render(request, template, {"job": job, "stale": is_stale(job)})


@allow(ExportJob, "export")
def export_download(request: HttpRequest, pk: str) -> HttpResponseBase:
    job = obj_or_404(request, _own_exports(request), pk=pk)
    if job.status != ExportJob.Status.DONE or not Path(job.file_path).exists():
        raise Http404
    from exchange.exports import CONTENT_TYPES

    content_type = CONTENT_TYPES.get(Path(job.file_path).suffix, XLSX)
    return serve_user_file(open(job.file_path, "rb"), content_type=content_type, filename=job.filename)
