from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.roles import Cap
from households.selectors import dashboard


def require_cap(request: HttpRequest, cap: Cap) -> None:
    if not request.user.can(cap):  # type: ignore[union-attr]
        raise PermissionDenied(_("您的角色无权访问此页面。"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    data = dashboard(user) if user.can(Cap.VIEW_ARCHIVE) else None  # type: ignore[union-attr]
    return render(request, "core/home.html", {"data": data})
