"""Pages of subsidy funds: standards, allocations, batches with the bank files, the ledger, the yearly summary."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from core.errors import ConflictError, message_text
from core.paging import paginate
from core.uploads import save_upload, send_temporary, temp_path, temporary, uploaded_file
from core.views import allow, obj_or_404, pdf_download, restricted, user_of
from funds import batch_xlsx, selectors, services, standards, summary_xlsx
from funds.models import Allocation, BankReturn, DisbursementBatch, PaymentStatus, Stage, SubsidyException, SubsidyStandard
from funds.workflow import EXCEPTION
from renovation.models import Mode


def _county(request: HttpRequest, user: User) -> str:
    """The county the page is about: the user's, or one the city or province user picked."""
    own = user.region_id or ""
    wanted = request.GET.get("county", "") or request.POST.get("county", "")
    if len(own) >= 6:
        return own[:6]
    return wanted if len(wanted) == 6 and wanted.startswith(own) else ""


def _year(request: HttpRequest) -> int:
    value = request.GET.get("year", "") or request.POST.get("year", "")
    return int(value) if value.isdigit() else timezone.localdate().year


def _number(value: str) -> int | None:
    """A row id or line number typed in a form: ASCII digits only ("²".isdigit() is true), within range."""
    value = value.strip()
    return int(value) if re.fullmatch(r"[0-9]{1,9}", value) else None


def _money(value: str) -> Decimal:
    try:
        return Decimal(value.replace(",", "").strip())
    except InvalidOperation:
        raise ValidationError(_("金额须为数字。")) from None


@allow(DisbursementBatch)
def home(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    county, year = _county(request, user), _year(request)
    context: dict[str, Any] = {"county": county, "year": year, "years": list(range(year + 1, year - 6, -1))}
    if county:
        context |= {
            "ledger": selectors.ledger(county, year),
            "allocations": restricted(request, Allocation).filter(region_code=county.ljust(12, "0"), year=year),
            "batches": restricted(request, DisbursementBatch)
            .filter(region_code=county.ljust(12, "0"), year=year)
            .order_by("-number"),
            "corrections": selectors.corrections(county, year)[:50],
            "standards": standards_for(request, county, year),
            "stages": Stage.choices,
            "mode_names": dict(Mode.choices),
            "modes": Mode.choices,
        }
    return render(request, "funds/home.html", context)


def standards_for(request: HttpRequest, county: str, year: int) -> Any:
    """The standards that apply to the county: its own and those published above it, never a neighbour's."""
    above = [county[:n] for n in (2, 4, 6)]
    qs = restricted(request, SubsidyStandard).filter(year=year)
    mine = Q(region_prefix__in=above) | Q(region_prefix__startswith=county)
    return qs.filter(mine).order_by("region_prefix", "grade", "mode")


def _back(county: str, year: int) -> HttpResponse:
    return redirect(f"/funds/?county={county}&year={year}")


@allow(SubsidyStandard, "change")
@require_POST
def add_standard(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    county, year = _county(request, user), _year(request)
    p = request.POST
    try:
        services.save_standard(
            actor=user,
            data={
                "year": year,
                "region_prefix": p.get("region_prefix") or county,
                "grade": p.get("grade", ""),
                "mode": p.get("mode", ""),
                "category": p.get("category", ""),
                "amount": _money(p.get("amount", "")),
                "advance_ratio": _money(p.get("advance_ratio") or "0"),
                "source_document": p.get("source_document", ""),
            },
        )
        messages.success(request, _("补助标准已保存。"))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, message_text(exc))
    return _back(county, year)


@allow(Allocation, "change")
@require_POST
def add_allocation(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    county, year = _county(request, user), _year(request)
    p = request.POST
    try:
        services.allocate(
            actor=user,
            county=county,
            year=year,
            level=p.get("level", "province"),
            document_no=p.get("document_no", ""),
            issued_on=parse_date(p.get("issued_on", "") or "") or timezone.localdate(),
            amount=_money(p.get("amount", "")),
            note=p.get("note", ""),
        )
        messages.success(request, _("资金下达已登记。"))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, message_text(exc))
    return _back(county, year)


@allow(DisbursementBatch, "change")
@require_POST
def new_batch(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    county, year = _county(request, user), _year(request)
    try:
        plan = services.build_batch(
            actor=user, county=county, year=year, stage=request.POST.get("stage", Stage.FINAL), name=request.POST.get("name", "")
        )
    except (ValidationError, PermissionDenied, ConflictError) as exc:
        messages.error(request, message_text(exc))
        return _back(county, year)
    if plan.batch is None:
        messages.warning(request, _("没有可以拨付的改造户（须已验收，新建类须已拆除或封存旧房，并登记了“一卡通”账号）。"))
        for line in _skipped_summary(plan.skipped):
            messages.warning(request, line)
        return _back(county, year)
    messages.success(
        request, _("已生成拨付批次，共 %(n)d 笔、%(t)s 元，请由另一人审核。") % {"n": plan.batch.count, "t": plan.batch.total}
    )
    if plan.skipped:
        left = _("有 %(n)d 户已验收但未纳入本批次，原因见批次页“未纳入本批次的改造户”。") % {"n": len(plan.skipped)}
        messages.warning(request, left)
    return redirect("funds:batch", pk=plan.batch.pk)


def _skipped_summary(skipped: dict[int, str]) -> list[str]:
    """The reasons cases were left out, each with how many (a batch that was not made keeps no list)."""
    counts: dict[str, int] = {}
    for reason in skipped.values():
        counts[reason] = counts.get(reason, 0) + 1
    return [_("未纳入 %(n)d 户：%(r)s") % {"n": n, "r": r} for r, n in sorted(counts.items(), key=lambda x: -x[1])[:10]]


def _batch(request: HttpRequest, pk: int, action: str = "view") -> DisbursementBatch:
    return obj_or_404(request, DisbursementBatch, action, pk=pk)  # type: ignore[no-any-return]


@allow(DisbursementBatch)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    status = request.GET.get("status", "")
    payments = batch.payments.select_related("case").order_by("id")
    if status in PaymentStatus.values:
        payments = payments.filter(status=status)
    return render(
        request,
        "funds/batch.html",
        {
            "b": batch,
            "page": paginate(payments, request.GET.get("page")),
            "status": status,
            "statuses": PaymentStatus.choices,
            "returns": batch.returns.order_by("-imported_at"),
            "exclusions": restricted(request, batch.exclusions.all()).order_by("region_code", "case_id")[:500],
            "exclusion_count": batch.exclusions.count(),
            "query": f"status={status}",
        },
    )


@allow(DisbursementBatch, "approve")
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _batch_step(request, pk, services.approve_batch, _("批次已审核，可以生成银行文件。"))


def _batch_step(request: HttpRequest, pk: int, step: Any, done: str) -> HttpResponse:
    """One step of a batch taken from its page: the service decides, the page says how it went."""
    batch = _batch(request, pk, request.access[1])  # type: ignore[attr-defined]
    try:
        step(actor=user_of(request), batch_id=batch.pk)
        messages.success(request, done)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, message_text(exc))
    return redirect("funds:batch", pk=batch.pk)


@allow(DisbursementBatch, "change")
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """作废 a draft batch (with the reason): its lines are released for a new batch."""
    batch = _batch(request, pk, "change")
    try:
        services.cancel_batch(actor=user_of(request), batch_id=batch.pk, reason=request.POST.get("reason", ""))
        messages.success(request, _("批次已作废，其中的改造户可在核实后重新生成批次。"))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, message_text(exc))
    return redirect("funds:batch", pk=batch.pk)


@allow(DisbursementBatch, "export")
@require_POST
def issue_bank_file(request: HttpRequest, pk: int) -> HttpResponse:
    """生成银行代发文件: the explicit step that moves an approved batch to "sent" (the download only reads)."""
    return _batch_step(request, pk, services.issue_bank_file, _("已生成银行代发文件，批次已交银行；请下载文件报送银行。"))


@allow(DisbursementBatch, "export")
@require_GET
def bank_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse | FileResponse:
    """Download the file of a batch already issued; refuses (with a message) a batch not issued yet."""
    batch = _batch(request, pk, "export")
    suffix = ".csv" if fmt == "csv" else ".xlsx"
    path = temp_path(suffix)  # full ID and account numbers: deleted as soon as it is sent (or refused)
    try:
        services.bank_file(actor=user_of(request), batch_id=batch.pk, path=path)
    except (ValidationError, PermissionDenied) as exc:
        path.unlink(missing_ok=True)
        messages.error(request, message_text(exc))
        return redirect("funds:batch", pk=batch.pk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return send_temporary(path, f"{batch.name}_银行拨付文件{suffix}")


@allow("funds.BankReturn", "change")
@require_POST
def bank_return(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        upload = uploaded_file(request, "file")
    except ValidationError as exc:
        messages.error(request, message_text(exc))
        return redirect("funds:batch", pk=batch.pk)
    name = (upload.name or "") if upload is not None else ""
    if upload is None or Path(name).suffix.lower() not in (".xlsx", ".csv"):
        messages.error(request, _("请选择银行回盘文件（.xlsx 或 .csv）。"))
        return redirect("funds:batch", pk=batch.pk)
    try:
        with temporary(Path(name).suffix.lower()) as path:
            save_upload(upload, path)
            result = services.import_return(actor=user_of(request), batch_id=batch.pk, path=path, original_name=name)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, message_text(exc))
        return redirect("funds:batch", pk=batch.pk)
    r = result.bank_return
    if result.already:
        messages.info(
            request,
            _("该回盘文件已于 %(t)s 导入过，本次未作任何改动。")
            % {"t": timezone.localtime(r.imported_at).strftime("%Y-%m-%d %H:%M")},
        )
    else:
        messages.success(
            request,
            _("回盘导入完成：%(l)d 行，到账 %(p)d 笔，失败 %(f)d 笔，无法匹配 %(u)d 行。")
            % {"l": r.lines, "p": r.paid, "f": r.failed, "u": len(r.unmatched)},
        )
    return redirect("funds:batch", pk=batch.pk)


@allow("funds.Payment")
def payments(request: HttpRequest) -> HttpResponse:
    """The payments behind a ledger figure (drill-down)."""
    user = user_of(request)
    county, year = _county(request, user), _year(request)
    qs = restricted(request, selectors.payments_of(county, year)).select_related("batch", "case").order_by("batch__number", "id")
    status = request.GET.get("status", "")
    if status in PaymentStatus.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "funds/payments.html",
        {
            "page": paginate(qs, request.GET.get("page")),
            "county": county,
            "year": year,
            "status": status,
            "query": f"county={county}&year={year}&status={status}",
        },
    )


@allow("renovation.Case")
def disclosure(request: HttpRequest) -> HttpResponseBase:
    """The public disclosure list of a village's payments, names and numbers masked, as a PDF."""
    from regions.selectors import name_of

    user = user_of(request)
    village, year = request.GET.get("village", ""), _year(request)
    if len(village) != 12 or not user.covers(village):
        messages.error(request, _("请选择您管辖范围内的一个村。"))
        return redirect("funds:home")
    rows = selectors.disclosure_rows(village, year)
    html = render_to_string(
        "funds/disclosure_pdf.html",
        {
            "rows": rows,
            "year": year,
            "total": sum((r[4] for r in rows), Decimal(0)),
            "place": f"{name_of(village[:9])}{name_of(village)}",
        },
    )
    return pdf_download(request, html, f"{year}年危房改造补助资金公开_{name_of(village)}.pdf", reverse("funds:home"))


@allow(DisbursementBatch)
def summary(request: HttpRequest) -> HttpResponse | FileResponse:
    user = user_of(request)
    county, year = _county(request, user), _year(request)
    if not county:
        messages.error(request, _("请选择县。"))
        return redirect("funds:home")
    data = selectors.year_summary(county, year)
    if request.GET.get("format") == "xlsx":
        path = temp_path(".xlsx")
        summary_xlsx.write(path, data)
        return send_temporary(path, f"{year}年农村危房改造年度汇总.xlsx")
    return render(request, "funds/summary.html", {"s": data})


@allow(DisbursementBatch)
@require_GET
def exclusions_xlsx(request: HttpRequest, pk: int) -> FileResponse:
    """The batch's Excel: its lines (numbers masked) and every case it left out with the reason."""
    batch = _batch(request, pk)
    path = temp_path(".xlsx")
    batch_xlsx.write(path, batch, restricted(request, batch.exclusions.all()))
    return send_temporary(path, f"{batch.name}_拨付与未纳入清单.xlsx")


@allow(BankReturn, "change")
@require_POST
def decide_line(request: HttpRequest, pk: int) -> HttpResponse:
    """A person decides a return line the matcher left unmatched: paid or failed, with the reason."""
    batch = _batch(request, pk)
    p = request.POST
    return_id, line = _number(p.get("return_id", "")), _number(p.get("line", ""))
    bank_return = batch.returns.filter(pk=return_id).first() if return_id is not None else None
    if bank_return is None or line is None or p.get("decision") not in ("paid", "failed"):
        messages.error(request, _("请选择回盘文件中的一行，并判定为“已到账”或“失败”。"))
        return redirect("funds:batch", pk=batch.pk)
    try:
        services.decide_line(
            actor=user_of(request), return_id=bank_return.pk, line=line, paid=p["decision"] == "paid",
            reason=p.get("reason", ""),
        )  # fmt: skip
        messages.success(request, _("已判定第 %(n)s 行。") % {"n": line})
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, message_text(exc))
    return redirect("funds:batch", pk=batch.pk)


@allow(SubsidyException)
def exceptions(request: HttpRequest) -> HttpResponse:
    """Subsidy exceptions (超标准补助): requests, and the second person's approval or refusal."""
    qs = restricted(request, SubsidyException).select_related("case__household", "requested_by", "decided_by")
    state = request.GET.get("state", "")
    if state in EXCEPTION.states:
        qs = qs.filter(state=state)
    return render(
        request,
        "funds/exceptions.html",
        {"page": paginate(qs.order_by("-requested_at", "-id"), request.GET.get("page")), "state": state,
         "states": EXCEPTION.choices, "query": f"state={state}", "case": request.GET.get("case", ""),
         "modes": Mode.choices},
    )  # fmt: skip


@allow(SubsidyException, "change")
@require_POST
def request_exception(request: HttpRequest) -> HttpResponse:
    p = request.POST
    case_id = _number(p.get("case", ""))
    try:
        if case_id is None:
            raise ValidationError(_("请填写改造户编号（数字）。"))
        standards.request_exception(
            actor=user_of(request), case_id=case_id, amount=_money(p.get("amount", "")), reason=p.get("reason", ""),
            document_no=p.get("document_no", ""), mode=p.get("mode", ""),
        )  # fmt: skip
        messages.success(request, _("超标准补助申请已提交，须由县级另一人审批。"))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, message_text(exc))
    return redirect(reverse("funds:exceptions") + (f"?case={case_id}" if case_id is not None else ""))


@allow(SubsidyException, "approve")
@require_POST
def decide_exception(request: HttpRequest, pk: int) -> HttpResponse:
    exc = obj_or_404(request, SubsidyException, "approve", pk=pk)
    decision = request.POST.get("decision", "")
    try:
        if decision not in ("approve", "refuse"):
            raise ValidationError(_("请选择批准或不批准。"))
        standards.decide_exception(
            actor=user_of(request), exception_id=exc.pk, approve=decision == "approve", note=request.POST.get("note", "")
        )
        messages.success(request, _("已批准超标准补助。") if decision == "approve" else _("已不批准超标准补助。"))
    except (ValidationError, PermissionDenied) as exc_:
        messages.error(request, message_text(exc_))
    return redirect("funds:exceptions")
