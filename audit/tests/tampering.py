"""What an attacker with the database (but not the audit key) does to the audit tables, bypassing
the application: as the test database's superuser, guards dropped first."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Any

from django.db import connection

from audit import keys
from audit.guards import TABLES
from audit.models import CHAINED_FIELDS, GENESIS, AuditEvent, chain_hash, legacy_hash


def raw(sql: str, params: list[Any] | None = None) -> None:
    """Run SQL with the append-only triggers out of the way (as a DBA or the tables' owner could)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for table in TABLES:
                cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            for table in TABLES:
                cur.execute(f"DROP TRIGGER IF EXISTS {table.replace('audit_auditevent', 'audit')}_no_update")
        cur.execute(sql, params or [])


def attacker_key() -> keys.AuditKey:
    """A key of the attacker's own: the real one is outside the database."""
    return keys.make_key(os.urandom(32))


def rehash_from(first_id: int, hasher: Callable[[dict[str, Any]], str], key_id: str | None = None) -> None:
    """Recompute prev_hash and hash of every event from `first_id` on, as the writer would, with
    `hasher` (an attacker's key, or the legacy SHA-256)."""
    rows = list(AuditEvent.objects.order_by("id"))
    prev = GENESIS
    for row in rows:
        if row.id >= first_id:
            values = {f: getattr(row, f) for f in CHAINED_FIELDS} | {"prev_hash": prev}
            if key_id is not None:
                values["key_id"] = key_id
            new = hasher(values)
            raw(
                "UPDATE audit_auditevent SET prev_hash = %s, hash = %s, key_id = %s WHERE id = %s",
                [prev, new, values["key_id"], row.id],
            )
            prev = new
        else:
            prev = row.hash


def with_key(key: keys.AuditKey) -> Callable[[dict[str, Any]], str]:
    return lambda values: chain_hash(values, key)


legacy = legacy_hash


def new_key_text() -> str:
    return base64.b64encode(os.urandom(32)).decode()
