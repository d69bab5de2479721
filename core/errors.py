from __future__ import annotations

from typing import Any


class ConflictError(Exception):
    """Someone else saved the record since this user loaded it (optimistic concurrency)."""

    def __init__(self, message: str = "该记录已被他人修改，请刷新页面查看最新内容后再保存。") -> None:
        super().__init__(message)
        self.message = message


def claim_version(model: Any, pk: Any, version: int) -> None:
    """Bump a row's version only if it is still the one the user loaded; otherwise ConflictError."""
    from django.db.models import F

    if not model.objects.filter(pk=pk, version=version).update(version=F("version") + 1):
        raise ConflictError()


def messages_of(exc: Exception) -> dict[str, str]:
    """What a refusal says, by field ("__all__" for the rest): for pages, the API's per-record answers and flashes."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.utils.translation import gettext as _

    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return {k: "；".join(str(m) for e in v for m in e.messages) for k, v in exc.error_dict.items()}
    if isinstance(exc, ValidationError):
        return {"__all__": "；".join(exc.messages)}
    if isinstance(exc, ConflictError):
        return {"__all__": exc.message}
    if isinstance(exc, PermissionDenied):
        return {"__all__": str(exc) or _("无权进行此操作。")}
    return {"__all__": _("记录中有格式不正确的数据（%(e)s）。") % {"e": exc}}


def message_text(exc: Exception) -> str:
    """The same, in one line for a flash message."""
    return "；".join(messages_of(exc).values())
