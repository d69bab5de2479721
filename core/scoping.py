"""The one place that decides what a user may see: rows whose region code lies under the user's.

Every region-owned row carries a 12-digit `region_code` (a village code, or a higher-level code
padded with zeros). A user's region code is a prefix (61, 6108, 610826, ...). A prefix is turned
into a closed range of 12-digit codes, which every database indexes with a plain B-tree whatever
its collation, so the same query is fast on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models

if TYPE_CHECKING:
    from accounts.models import User

CODE_LENGTH = 12

_M = TypeVar("_M", bound=models.Model)


def code_range(prefix: str) -> tuple[str, str]:
    return prefix.ljust(CODE_LENGTH, "0"), prefix.ljust(CODE_LENGTH, "9")


def prefix_filter(prefix: str, field: str = "region_code") -> models.Q:
    low, high = code_range(prefix)
    return models.Q(**{f"{field}__gte": low, f"{field}__lte": high})


def covers(prefix: str, region_code: str) -> bool:
    return bool(prefix) and region_code.startswith(prefix)


class ScopedQuerySet(models.QuerySet[_M]):
    def visible_to(self, user: User | Any) -> ScopedQuerySet[_M]:
        if not getattr(user, "is_authenticated", False) or not getattr(user, "region_id", None):
            return self.none()
        return self.filter(prefix_filter(str(user.region_id)))

    def restrict(self, user: User | Any, action: str = "view") -> ScopedQuerySet[_M]:
        """The rows the user may take `action` on, by the access policy (core.policy)."""
        from core.policy import restrict

        return restrict(self, user, action)  # type: ignore[return-value]

    def within(self, prefix: str) -> ScopedQuerySet[_M]:
        return self.filter(prefix_filter(prefix))
