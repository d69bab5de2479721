from __future__ import annotations

from collections.abc import Callable

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
