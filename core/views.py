from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
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


def require_any(request: HttpRequest, *caps: Cap) -> User:
    """The signed-in user, when any of the capabilities is theirs."""
    user = user_of(request)
    if not any(user.can(c) for c in caps):
        raise PermissionDenied(_("您的角色无权访问此页面。"))
    return user


def pdf_download(request: HttpRequest, html: str, filename: str, fallback: str) -> HttpResponseBase:
    """HTML printed to a PDF download; without a printer, the reason as a message on the `fallback` page."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from core.pdf import PdfUnavailable, attachment, html_to_pdf
    from core.uploads import temp_path

    path = temp_path(".pdf")  # in VAR_DIR/tmp; deleted when sent, or here when printing fails
    try:
        html_to_pdf(html, path)
    except PdfUnavailable as exc:
        path.unlink(missing_ok=True)
        messages.error(request, str(exc))
        return redirect(fallback)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return attachment(path, filename)  # type: ignore[no-any-return]


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
