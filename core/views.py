from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
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


def form_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: field errors by name, the rest at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    data = dashboard(user) if user.can(Cap.VIEW_ARCHIVE) else None
    return render(request, "core/home.html", {"data": data})
