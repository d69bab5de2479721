from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.context import ActionContext, acting


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or ""


class RequestContextMiddleware:
    """Binds the request's IP and a request id to the action context used by audit events."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source = "api" if request.path.startswith("/api/") else "ui"
        with acting(ActionContext(ip=client_ip(request), source=source)) as ctx:
            response = self.get_response(request)
            response["X-Request-Id"] = ctx.request_id
            return response


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response to a signed-in user (session or API token) and on every
    API response, so no browser, proxy or shared computer keeps a page or payload with personal data.
    Static files are left cacheable; they hold no personal data (the web server serves them in production)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(settings.STATIC_URL):
            return response
        user = getattr(request, "user", None)  # DRF sets it on the request for token clients too
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
            if "Expires" in response:
                del response["Expires"]
        return response
