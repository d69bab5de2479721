"""Audit of access itself: refused requests and reads of personal data.

The access policy (core.policy) calls these. A refusal is an ordinary chained audit event (rare, and
the legal trail shows who was refused what). A read of personal data happens on every API lookup,
the hottest path there is: it is one plain row of `AccessLog`, written without the chain's lock,
and `anchor_audit` seals the rows into the chain a range at a time (audit.sealing, ADR 0017).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.models import AccessLog
from audit.services import record
from core.context import current

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


_ACCESS_COLUMNS = (
    "at", "actor_id", "actor_name", "ip", "source", "request_id", "region_code",
    "object_type", "object_id", "object_ids", "count", "fields", "path",
)  # fmt: skip
_ACCESS_SQL: dict[str, str] = {}  # per database vendor


def _access_sql() -> str:
    """One plain INSERT (the ORM's save costs several times more on this path)."""
    vendor = connection.vendor
    if vendor not in _ACCESS_SQL:
        json_cast = "::jsonb" if vendor == "postgresql" else ""
        values = ", ".join(f"%s{json_cast}" if c in ("object_ids", "fields") else "%s" for c in _ACCESS_COLUMNS)
        cols = ", ".join(f'"{c}"' for c in _ACCESS_COLUMNS)
        _ACCESS_SQL[vendor] = f'INSERT INTO "{AccessLog._meta.db_table}" ({cols}) VALUES ({values})'
    return _ACCESS_SQL[vendor]


def record_access(*, actor: Any, object_type: str, object_ids: Sequence[Any], fields: Sequence[str], path: str = "") -> None:
    """An API read that returned personal data (names with ID, phone or bank numbers, masked or not)."""
    if not object_ids:
        return
    ctx = current()
    actor = actor if getattr(actor, "pk", None) else None
    ids = [str(i) for i in object_ids[:500]]
    region = getattr(actor, "region_id", "") or ""
    values = [
        connection.ops.adapt_datetimefield_value(timezone.now()),
        actor.pk if actor else None,
        actor.get_username() if actor else "",
        ctx.ip,
        ctx.source,
        ctx.request_id,
        region.ljust(12, "0") if region else "",
        object_type[:60],
        ids[0][:64] if len(object_ids) == 1 else "",
        json.dumps(ids, ensure_ascii=False),
        len(object_ids),
        json.dumps([str(f) for f in fields], ensure_ascii=False),
        path[:300],
    ]
    if connection.vendor == "postgresql" and not connection.in_atomic_block and not settings.ANJU_AUDIT_READS_DURABLE:
        # A read's own little transaction: its commit need not wait for the disk (the WAL is written
        # within a fraction of a second; an operating-system crash may lose that fraction's reads).
        # Waiting cost more than the lookup itself (ADR 0017). Never done inside a caller's
        # transaction, whose writes keep their full durability.
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit TO off")
            cur.execute(_access_sql(), values)
        return
    with connection.cursor() as cur:
        cur.execute(_access_sql(), values)
