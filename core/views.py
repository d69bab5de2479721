from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Cap
from households.selectors import dashboard


def user_of(request: HttpRequest) -> User:
    """The signed-in official (every view that calls this is behind login_required)."""
    return cast(User, request.user)


def require_cap(request: HttpRequest, cap: Cap) -> None:
    if not user_of(request).can(cap):
        raise PermissionDenied(_("您的角色无权访问此页面。"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    data = dashboard(user) if user.can(Cap.VIEW_ARCHIVE) else None
    return render(request, "core/home.html", {"data": data})
