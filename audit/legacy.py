"""Bringing an audit log written before issue 11 (plain SHA-256 chain, no key) under the key.

Rows are never rewritten (the log is append-only, and a rewrite is exactly what the chain must
expose). Instead `manage.py rechain_audit --from-legacy` checks the legacy chain from its first
event, then appends one keyed event naming the legacy chain's last event, its hash and count, and
anchors the head. From then on the legacy events are pinned: changing one changes the legacy head
hash, which the keyed seal (and every keyed event after it, through `prev_hash`) no longer matches.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from audit.models import GENESIS, AuditEvent
from audit.sealing import SEAL_LEGACY
from audit.services import Event, record_many


class LegacyError(Exception):
    pass


def check_legacy(batch: int = 5000) -> tuple[int, str, int]:
    """The legacy chain's last event id, its hash and the number of legacy events (checked).
    The legacy events must come first; raises LegacyError at the first wrong one."""
    prev, count, last_id = GENESIS, 0, 0
    while True:
        rows = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch])
        for row in rows:
            if row.key_id:
                return last_id, prev, count
            if row.prev_hash != prev:
                raise LegacyError(_("旧版审计链在第 %(id)s 号事件断开：记录被删除或篡改") % {"id": row.id})
            if row.compute_hash() != row.hash:
                raise LegacyError(_("旧版审计链第 %(id)s 号事件内容与哈希不符：记录被篡改") % {"id": row.id})
            prev, count, last_id = row.hash, count + 1, row.id
        if len(rows) < batch:
            return last_id, prev, count


def seal_legacy() -> int | None:
    """Check the legacy chain and seal it under the key; the seal event's id (None: nothing to seal)."""
    head_id, head_hash, count = check_legacy()
    if count == 0:
        return None
    if AuditEvent.objects.filter(verb=SEAL_LEGACY).exists():
        return None
    after = {"head_id": head_id, "head_hash": head_hash, "count": count}
    return record_many([Event(SEAL_LEGACY, object_type="audit.auditevent", object_label=f"1–{head_id}", after=after)])[0]
