"""Audit of access itself: refused requests and reads of personal data.

The access policy (core.policy) calls these; they write ordinary chained audit events so the
legal trail shows who was refused what, and who read whose personal numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from audit.services import record

DENIED = "拒绝访问"
READ_PERSONAL = "读取个人信息"


def record_denied(*, actor: Any, action: str, object_type: str, object_id: str = "", reason: str, path: str = "") -> None:
    """A request the policy refused: `reason` is "scope" (answered 404) or "role" (answered 403)."""
    actor = actor if getattr(actor, "pk", None) else None
    record(
        DENIED,
        actor=actor,
        object_type=object_type,
        object_id=str(object_id)[:64],
        region_code=getattr(actor, "region_id", "") or "",
        success=False,
        after={"action": action, "reason": reason, "path": path[:300]},
    )


def record_access(*, actor: Any, object_type: str, object_ids: Sequence[Any], fields: Sequence[str], path: str = "") -> None:
    """An API read that returned personal data (names with ID, phone or bank numbers, masked or not)."""
    if not object_ids:
        return
    record(
        READ_PERSONAL,
        actor=actor,
        object_type=object_type,
        object_id=str(object_ids[0])[:64] if len(object_ids) == 1 else "",
        region_code=getattr(actor, "region_id", "") or "",
        after={"ids": [str(i) for i in object_ids[:500]], "count": len(object_ids), "fields": list(fields), "path": path[:300]},
    )
