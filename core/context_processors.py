from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.roles import Cap


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {"can": {cap.value: user.can(cap) for cap in Cap}}
