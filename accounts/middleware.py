from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.passwords import change_required_reason

LAST_SEEN = "anju_last_seen"
LOGGED_IN_AT = "anju_logged_in_at"


def mark_login(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """user_logged_in: the start of the session's absolute lifetime."""
    if request is not None and hasattr(request, "session"):
        request.session[LOGGED_IN_AT] = time.time()


class IdleTimeoutMiddleware:
    """Logs a session out after SESSION_IDLE_SECONDS without a request, and in any case
    SESSION_ABSOLUTE_SECONDS after it signed in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            last = request.session.get(LAST_SEEN)
            started = request.session.setdefault(LOGGED_IN_AT, now)
            if now - float(started) > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                messages.info(
                    request, _("登录已超过 %(h)d 小时，请重新登录。") % {"h": settings.SESSION_ABSOLUTE_SECONDS // 3600}
                )
            elif last is not None and now - float(last) > settings.SESSION_IDLE_SECONDS:
                logout(request)
                messages.info(request, _("长时间未操作，已自动退出，请重新登录。"))
            else:
                request.session[LAST_SEEN] = now
        return self.get_response(request)


# Pages a user who must change the password may still open.
_OPEN_NAMES = ("accounts:password", "accounts:logout", "accounts:login")


class PasswordChangeRequiredMiddleware:
    """A one-time password (initial or set by an administrator) or one older than
    PASSWORD_MAX_AGE_DAYS: nothing but the change page until it is changed (API: 403)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open: tuple[str, ...] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            reason = change_required_reason(user)
            if reason and not self._is_open(request.path):
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": reason}, status=403)
                messages.warning(request, reason)
                return redirect("accounts:password")
        return self.get_response(request)

    def _is_open(self, path: str) -> bool:
        if self._open is None:
            self._open = (*(reverse(name) for name in _OPEN_NAMES), settings.STATIC_URL)
        return path.startswith(self._open)
