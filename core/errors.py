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
