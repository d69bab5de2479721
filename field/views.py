"""The field app's shell (page, service worker, manifest) and the town's review of what it sent:
evidence flags and sync conflicts."""

from __future__ import annotations

import hashlib
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.roles import Cap
from core.errors import message_text
from core.paging import paginate
from core.uploads import serve_user_file
from core.views import require_cap, user_of
from field import sync
from field.models import Conflict, ConflictStatus, EvidenceFlag, FlagKind, FlagStatus, Photo

SHELL_STATIC = ["vendor/bootstrap-5.3.8/bootstrap.min.css", "field/field.css", "field/icon.svg", "anju/grading.js",
                "field/store.js", "field/app.js"]  # fmt: skip


def _shell() -> list[str]:
    return [reverse("field:app"), *[static(p) for p in SHELL_STATIC]]


@never_cache
def app(request: HttpRequest) -> HttpResponse:
    """The installable page; it holds no data (the worker signs in inside it, with a token)."""
    return render(request, "field/app.html")


@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    shell = _shell()
    version = hashlib.sha256(json.dumps(shell).encode()).hexdigest()[:12]
    response = render(request, "field/sw.js", {"shell": shell, "version": version}, content_type="application/javascript")
    response["Service-Worker-Allowed"] = reverse("field:app")
    return response


def manifest(request: HttpRequest) -> JsonResponse:
    return JsonResponse({
        "name": "安居 · 现场采集", "short_name": "安居采集", "lang": "zh-CN", "start_url": reverse("field:app"),
        "scope": reverse("field:app"), "display": "standalone", "background_color": "#f5f6f8", "theme_color": "#0d6efd",
        "icons": [{"src": static("field/icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    }, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})  # fmt: skip


@login_required
def flags(request: HttpRequest) -> HttpResponse:
    require_cap(request, Cap.VIEW_ARCHIVE)
    user = user_of(request)
    status = request.GET.get("status", FlagStatus.OPEN)
    kind = request.GET.get("kind", "")
    qs = EvidenceFlag.objects.visible_to(user).select_related("household", "worker", "photo").order_by("-created_at", "-id")
    if status in FlagStatus.values:
        qs = qs.filter(status=status)
    if kind in FlagKind.values:
        qs = qs.filter(kind=kind)
    if request.method == "POST":
        flag = get_object_or_404(EvidenceFlag.objects.visible_to(user), pk=request.POST.get("flag"))
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


@login_required
def conflicts(request: HttpRequest) -> HttpResponse:
    require_cap(request, Cap.VIEW_ARCHIVE)
    user = user_of(request)
    status = request.GET.get("status", ConflictStatus.OPEN)
    qs = Conflict.objects.visible_to(user).select_related("household", "worker", "house").order_by("-created_at", "-id")
    if status in ConflictStatus.values:
        qs = qs.filter(status=status)
    if request.method == "POST":
        conflict = get_object_or_404(Conflict.objects.visible_to(user), pk=request.POST.get("conflict"))
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


@login_required
def photo(request: HttpRequest, uid: str) -> FileResponse:
    """A field photo, to those whose region covers it (photos are not public media)."""
    user = user_of(request)
    if not (user.can(Cap.VIEW_ARCHIVE) or user.can(Cap.APPRAISE)):
        raise PermissionDenied(_("您的角色无权查看现场照片。"))
    found = get_object_or_404(Photo.objects.visible_to(user), uid=uid, completed_at__isnull=False, refused="")
    # Only photos the server decoded and re-encoded are complete; even so the type shown inline is checked again.
    return serve_user_file(found.file.open("rb"), content_type=found.content_type, filename=f"{uid}.jpg", inline=True)
