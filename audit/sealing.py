"""Sealing the access log into the chain: the rows of `AccessLog` (one per API read of personal
data, written without the chain's lock) are covered, a range at a time, by one chained event that
names the range and the SHA-256 of its rows. The verifier recomputes each range's digest, so a read
row removed or edited after its seal shows (docs/adr/0017-audit-anchors.md)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audit.models import AccessLog, AuditEvent, canonical_json

SEAL_ACCESS = "audit.seal_access"
RESTART = "audit.anchor_restart"  # anchors start a new epoch after a restore (audit.anchoring.restart)
SEAL_LEGACY = "audit.seal_legacy"  # the legacy SHA-256 chain, checked and pinned under the key (audit.legacy)
# Rows younger than this are left to the next seal: a read's row gets its id when inserted and may
# commit a moment later than a row with a higher id; a settled range no longer changes.
SETTLE = dt.timedelta(seconds=60)
ROW_FIELDS = (
    "id", "at", "actor_id", "actor_name", "ip", "source", "request_id", "region_code",
    "object_type", "object_id", "object_ids", "count", "fields", "path",
)  # fmt: skip


def _rows(from_id: int, to_id: int, batch: int = 5000) -> Iterator[tuple[Any, ...]]:
    last = from_id
    while True:
        rows = list(AccessLog.objects.filter(id__gt=last, id__lte=to_id).order_by("id").values_list(*ROW_FIELDS)[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def digest(from_id: int, to_id: int) -> tuple[int, str]:
    """How many access rows lie in (from_id, to_id], and the SHA-256 of their canonical JSON lines."""
    sha = hashlib.sha256()
    count = 0
    for row in _rows(from_id, to_id):
        values = list(row)
        values[1] = values[1].isoformat(timespec="microseconds")
        sha.update(canonical_json(values).encode() + b"\n")
        count += 1
    return count, sha.hexdigest()


def last_sealed() -> int:
    """The last access row id covered by a seal (0 before the first seal)."""
    after = AuditEvent.objects.filter(verb=SEAL_ACCESS).order_by("-id").values_list("after", flat=True).first()
    return int(after["to_id"]) if after else 0


def seal_access_log(settle: dt.timedelta = SETTLE) -> int | None:
    """Seal the settled access rows not sealed yet; returns the seal event's id (None: nothing new)."""
    from audit.services import Event, lock_chain, record_many

    with transaction.atomic():
        lock_chain()  # one sealer at a time: ranges follow each other exactly
        start = last_sealed()
        to_id = AccessLog.objects.filter(id__gt=start, at__lte=timezone.now() - settle).aggregate(top=Max("id"))["top"]
        if to_id is None:
            return None
        count, hexdigest = digest(start, to_id)
        event = Event(
            SEAL_ACCESS,
            object_type="audit.accesslog",
            object_label=f"{start + 1}–{to_id}",
            after={"from_id": start, "to_id": to_id, "count": count, "digest": hexdigest},
        )
        return record_many([event])[0]
