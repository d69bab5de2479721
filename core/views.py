from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from accounts.models import User
from accounts.roles import Cap
from core import policy
from households.selectors import dashboard

_V = TypeVar("_V", bound=Callable[..., HttpResponseBase])


@dataclass(frozen=True)
class Access:
    """What a page needs: the model and action of the policy (GET and POST may differ); None = public."""

    model: str | None
    action: str = "view"
    post: str | None = None
    signed_in: bool = True

    def action_for(self, method: str) -> str:
        return self.post if self.post and method == "POST" else self.action


def allow(model: type[models.Model] | str, action: str = "view", *, post: str | None = None) -> Callable[[_V], _V]:
    """Declare a page's model and action: signed-in users whose roles hold no grant get 403 (audited).
    The view fetches its rows with `policy.get_or_404` / `policy.restrict` for the same action."""
    access = Access(policy.label_of(model), action, post)

    def decorate(view: _V) -> _V:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            action = access.action_for(request.method or "GET")
            policy.check(request.user, access.model or "", action, path=request.path)
            request.access = (access.model, action)  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        wrapper.access = access  # type: ignore[attr-defined]
        return cast(_V, wrapper)

    return decorate


def signed_in(view: _V) -> _V:
    """A page for anyone signed in that shows no data of its own (home, password, logout)."""
    wrapped = login_required(view)
    wrapped.access = Access(None)  # type: ignore[attr-defined]
    return cast(_V, wrapped)


def public(view: _V) -> _V:
    """A page for anybody, signed in or not (login, the house label's public page, the field app's shell)."""
    view.access = Access(None, signed_in=False)  # type: ignore[attr-defined]
    return view


def obj_or_404(request: HttpRequest, source: Any, action: str | None = None, **lookup: Any) -> Any:
    """One row for this request, 404 (audited) out of scope. Unless named, the action is the page's own
    for a row of the page's model (a POST that changes a course fetches it for "change") and "view" otherwise."""
    if action is None:
        model = source.model if isinstance(source, models.QuerySet) else source
        declared, page_action = getattr(request, "access", (None, "view"))
        action = page_action if policy.label_of(model) == declared else "view"
    return policy.get_or_404(request.user, source, action, path=request.path, **lookup)


def restricted(request: HttpRequest, source: Any, action: str = "view") -> Any:
    """The rows of a model or queryset this request's user may take the action on."""
    qs = source if isinstance(source, models.QuerySet) else source._default_manager.all()
    return policy.restrict(qs, request.user, action)


def user_of(request: HttpRequest) -> User:
    """The signed-in official (every view that calls this is behind login_required)."""
    return cast(User, request.user)


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


@signed_in
def home(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    data = dashboard(user) if user.can(Cap.VIEW_ARCHIVE) else None
    return render(request, "core/home.html", {"data": data})
