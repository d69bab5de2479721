"""The field app's shell (page, service worker, manifest) and the town's review of what it sent:
evidence flags and sync conflicts."""

from __future__ import annotations

import hashlib
import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.errors import message_text
from core.paging import paginate
from core.uploads import serve_user_file
from core.views import allow, obj_or_404, public, restricted, user_of
from field import overrides, sync
from field.models import Conflict, ConflictStatus, EvidenceFlag, FlagKind, FlagStatus, Photo

SHELL_STATIC = ["vendor/bootstrap-5.3.8/bootstrap.min.css", "field/field.css", "field/icon.svg", "anju/grading.js",
                "field/store.js", "field/app.js"]  # fmt: skip


def _shell() -> list[str]:
    return [reverse("field:app"), *[static(p) for p in SHELL_STATIC]]


@never_cache
@public
def app(request: HttpRequest) -> HttpResponse:
    """The installable page; it holds no data (the worker signs in inside it, with a token)."""
    return render(request, "field/app.html")


@never_cache
@public
def service_worker(request: HttpRequest) -> HttpResponse:
    shell = _shell()
    version = hashlib.sha256(json.dumps(shell).encode()).hexdigest()[:12]
    response = render(request, "field/sw.js", {"shell": shell, "version": version}, content_type="application/javascript")
    response["Service-Worker-Allowed"] = reverse("field:app")
    return response


@public
def manifest(request: HttpRequest) -> JsonResponse:
    return JsonResponse({
        "name": "安居 · 现场采集", "short_name": "安居采集", "lang": "zh-CN", "start_url": reverse("field:app"),
        "scope": reverse("field:app"), "display": "standalone", "background_color": "#f5f6f8", "theme_color": "#0d6efd",
        "icons": [{"src": static("field/icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    }, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})  # fmt: skip


@allow("field.EvidenceFlag", post="change")
def flags(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    status = request.GET.get("status", FlagStatus.OPEN)
    kind = request.GET.get("kind", "")
    qs = restricted(request, EvidenceFlag).select_related("household", "worker", "photo").order_by("-created_at", "-id")
    if status in FlagStatus.values:
        qs = qs.filter(status=status)
    if kind in FlagKind.values:
        qs = qs.filter(kind=kind)
    if request.method == "POST":
        if not str(request.POST.get("flag", "")).isdigit():
            messages.error(request, _("请选择要核查的疑点。"))
            return redirect(request.get_full_path())
        flag = obj_or_404(request, EvidenceFlag, "change", pk=request.POST["flag"])
        try:
            sync.review_flag(actor=user, flag=flag, status=request.POST.get("status", ""), note=request.POST.get("note", ""))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, message_text(exc))
        else:
            messages.success(request, _("核查意见已保存。"))
        return redirect(request.get_full_path())
    return render(request, "field/flags.html", {
        "page": paginate(qs, request.GET.get("page")), "status": status, "kind": kind,
        "statuses": FlagStatus.choices, "kinds": FlagKind.choices, "query": f"status={status}&kind={kind}",
    })  # fmt: skip


@allow("field.Conflict", post="change")
def conflicts(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    status = request.GET.get("status", ConflictStatus.OPEN)
    qs = restricted(request, Conflict).select_related("household", "worker", "house").order_by("-created_at", "-id")
    if status in ConflictStatus.values:
        qs = qs.filter(status=status)
    if request.method == "POST":
        if not str(request.POST.get("conflict", "")).isdigit():
            messages.error(request, _("请选择要处理的冲突。"))
            return redirect(request.get_full_path())
        conflict = obj_or_404(request, Conflict, "change", pk=request.POST["conflict"])
        try:
            keep, note = request.POST.get("keep", ""), request.POST.get("note", "")
            sync.resolve_conflict(actor=user, conflict=conflict, keep=keep, note=note)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, message_text(exc))
        else:
            messages.success(request, _("冲突已处理。"))
        return redirect(request.get_full_path())
    page = paginate(qs, request.GET.get("page"))
    for c in page.items:
        changes = (c.field_version or {}).get("house_changes") or {}
        server = (c.server_version or {}).get("house") or {}
        c.rows = [(name, value, server.get(name)) for name, value in changes.items()]  # type: ignore[attr-defined]
    return render(request, "field/conflicts.html", {
        "page": page, "status": status, "statuses": ConflictStatus.choices,
        "query": f"status={status}",
    })  # fmt: skip


@allow("field.EvidenceOverride", "change")
@require_POST
def override(request: HttpRequest, case_pk: int) -> HttpResponse:
    """The town reviewer records why a construction stage may go on without a located photo (from the case page)."""
    from renovation.models import Case

    case = obj_or_404(request, Case, pk=case_pk)
    try:
        overrides.record_override(
            actor=user_of(request), case_id=case.pk, part=request.POST.get("part", ""), reason=request.POST.get("reason", "")
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, message_text(exc))
    else:
        messages.success(request, _("照片证据例外已登记。"))
    return redirect(reverse("renovation:case", args=[case.pk]) + "#case-photos")


@allow("field.Photo")
def photo(request: HttpRequest, uid: str) -> FileResponse:
    """A field photo, to those whose region covers it (photos are not public media)."""
    found = obj_or_404(request, Photo, uid=uid, completed_at__isnull=False, refused="")
    # Only photos the server decoded and re-encoded are complete; even so the type shown inline is checked again.
    return serve_user_file(found.file.open("rb"), content_type=found.content_type, filename=f"{uid}.jpg", inline=True)
