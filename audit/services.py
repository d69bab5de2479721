"""Writing audit events. Every service calls `record` (or `record_many` for bulk work)."""

from __future__ import annotations

import datetime as dt
import json.encoder
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.utils import timezone

from audit import keys
from audit.models import GENESIS, AuditEvent, canonical_json, chain_hash
from core.bulk import JSONText, allocate_ids, insert_rows
from core.context import current

if TYPE_CHECKING:
    from audit.verify import ChainReport

COLUMNS = [f.attname for f in AuditEvent._meta.concrete_fields]
_PG_LOCK_KEY = 0x616E6A75  # "anju": serialises chain appends across PostgreSQL connections


_PLAIN = (str, int, bool, type(None))


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# `canonical_json`'s encoder, made once: json.dumps builds a JSONEncoder and its C encoder on every
# call, which was most of the cost of encoding one household's batch row (a few hundred bytes).
# No check for circular references (audit values are trees; a cycle ends in RecursionError).
_make_encoder = getattr(json.encoder, "c_make_encoder", None)  # None without the C accelerator
_C_CANONICAL = (
    _make_encoder(None, _not_json, json.encoder.encode_basestring, None, ":", ",", True, False, True) if _make_encoder else None
)


def canonical_text(value: Any) -> str:
    """`audit.models.canonical_json(value)`, the same text, quicker for many small values."""
    if _C_CANONICAL is None:
        return canonical_json(value)
    return "".join(_C_CANONICAL(value, 0))


def jsonable(value: Any) -> Any:
    """Values as the JSON column will give them back, so the chain hash survives a round trip."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, (Decimal, dt.date, dt.datetime)):
        return str(value)
    if isinstance(value, float):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return "<binary>"
    return value


@dataclass
class Event:
    verb: str
    actor: Any = None
    obj: models.Model | None = None
    object_type: str = ""
    object_id: str = ""
    object_label: str = ""
    region_code: str = ""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | JSONText | None = None  # JSONText: already canonical JSON (batch_text)
    success: bool = True
    archive_id: int | None = None  # defaults to the object's `audit_archive_id`, when it has one
    extra: dict[str, Any] = field(default_factory=dict)
    id: int | None = None  # taken from `reserve_ids` when a row must name its event before the event is written
    plain: bool = False  # before/after hold only JSON types already (str, int, bool, None, lists, dicts): skip `jsonable`

    def build(self, at: dt.datetime) -> dict[str, Any]:
        """The event's column values (everything but id, prev_hash and hash)."""
        ctx = current()
        obj = self.obj
        actor = self.actor if getattr(self.actor, "pk", None) else None
        region = self.region_code or getattr(obj, "region_code", "") or ""
        return dict(
            at=at,
            actor_id=actor.pk if actor else None,
            actor_name=actor.get_username() if actor else (self.extra.get("username", "") or ""),
            ip=ctx.ip,
            source=ctx.source,
            request_id=ctx.request_id,
            verb=self.verb,
            object_type=self.object_type or (obj._meta.label_lower if obj is not None else ""),
            object_id=self.object_id or (str(obj.pk) if obj is not None and obj.pk is not None else ""),
            object_label=(self.object_label or (str(obj) if obj is not None else ""))[:200],
            archive_id=self.archive_id or getattr(obj, "audit_archive_id", None),
            region_code=region.ljust(12, "0") if region else "",
            before=self.before if self.plain else jsonable(self.before) if self.before is not None else None,
            after=self.after if self.plain else jsonable(self.after) if self.after is not None else None,
            success=self.success,
        )


def batch_payload(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The `after` of an event about many objects: the keys once, then one row of values per object
    (a list per object is quicker to hash, store and read back than a dict per object). Values that
    are dicts themselves are stored as rows too, with their keys under "nested". Read with `batch_items`."""
    keys: dict[str, None] = {}  # in order of first appearance
    nested: dict[str, dict[str, None]] = {}
    shape: Any = None
    for item in items:
        if item.keys() != shape:  # items of one kind share their keys: merged once
            keys.update(dict.fromkeys(item))
            shape = item.keys()
        for k, value in item.items():
            if isinstance(value, dict) and value.keys() != nested.get(k, {}).keys():
                nested.setdefault(k, {}).update(dict.fromkeys(value))
    columns, names = list(keys), {k: list(v) for k, v in nested.items()}
    rows = [_row(item, columns, names) for item in items]
    return {"count": len(items), "columns": columns, "nested": names, "rows": rows}


def _row(item: dict[str, Any], columns: list[str], nested: dict[str, list[str]]) -> list[Any]:
    """An object's values under `columns`, a nested dict as its values under its `nested` keys."""
    return [
        [value.get(n) for n in nested[k]] if k in nested and isinstance(value := item.get(k), dict) else item.get(k)
        for k in columns
    ]


def batch_row(item: dict[str, Any], columns: list[str], nested: dict[str, list[str]]) -> str:
    """One object's values as `batch_payload` lists them under `columns` (those after "id"), as
    canonical JSON without the brackets: encoded while the rows are built, before the object has its
    id (see `batch_text`)."""
    return canonical_text(_row(item, columns, nested))[1:-1]


def batch_text(columns: list[str], nested: dict[str, list[str]], rows: list[tuple[int, str]]) -> JSONText:
    """`canonical_json(batch_payload(items))`, put together from each item's id and its `batch_row`
    (`columns` start with "id"): the writer of a batch then encodes no JSON itself."""
    body = ",".join(f"[{pk},{row}]" for pk, row in rows)
    head = f'{{"columns":{canonical_json(columns)},"count":{len(rows)},"nested":{canonical_json(nested)}'
    return JSONText(f'{head},"rows":[{body}]}}')


def batch_items(after: Any) -> list[dict[str, Any]] | None:
    """The objects of a `batch_payload`, each as a dict again; None when `after` is not one."""
    if not isinstance(after, dict) or not isinstance(after.get("rows"), list):
        return None
    columns, nested = after["columns"], after.get("nested") or {}
    items = []
    for row in after["rows"]:
        item = dict(zip(columns, row, strict=False))
        for k, names in nested.items():
            if isinstance(item.get(k), list):
                item[k] = dict(zip(names, item[k], strict=False))
        items.append(item)
    return items


def lock_chain() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    return last or GENESIS


def reserve_ids(count: int) -> list[int]:
    """Ids for events the caller will pass to `record_many` later in the same transaction.

    The chain is locked first, so no other transaction can append events with later ids before
    these are written (the chain runs in id order). Call inside `transaction.atomic()`.
    """
    lock_chain()
    return allocate_ids(AuditEvent, count)


def record_many(events: Iterable[Event]) -> list[int]:
    """Append events to the chain inside the caller's transaction (or a new one); returns their ids.

    Events with an id from `reserve_ids` must come first, in the order of their ids."""
    key = keys.current()  # before the lock: a missing key refuses the write before anything is taken
    with transaction.atomic():
        prev = lock_chain()
        at = timezone.now()
        rows = []
        for ev in events:
            values = ev.build(at)
            for name in ("before", "after"):  # encoded once, for the hash and for the row
                if values[name] is not None and not isinstance(values[name], JSONText):
                    values[name] = JSONText(canonical_text(values[name]))
            values["prev_hash"] = prev
            values["key_id"] = key.id
            values["hash"] = prev = chain_hash(values, key)
            values["id"] = ev.id
            rows.append(values)
        fresh = allocate_ids(AuditEvent, sum(1 for v in rows if v["id"] is None))
        reserved = max((v["id"] for v in rows if v["id"] is not None), default=0)
        if fresh and fresh[0] <= reserved:  # SQLite counts from the highest written id, not yet the reserved ones
            fresh = [pk + reserved - fresh[0] + 1 for pk in fresh]
        ids_left = iter(fresh)
        for values in rows:
            if values["id"] is None:
                values["id"] = next(ids_left)
        ids = [v["id"] for v in rows]
        insert_rows(AuditEvent, COLUMNS, ([v[c] for c in COLUMNS] for v in rows))
        return ids


def record(verb: str, *, actor: Any = None, obj: models.Model | None = None, **kwargs: Any) -> AuditEvent:
    event = Event(verb=verb, actor=actor, obj=obj, **kwargs)
    pk = record_many([event])[0]
    return AuditEvent.objects.get(pk=pk)


def verify_chain(batch: int = 5000) -> ChainReport:
    """The whole trail checked: chain, keys, anchors and sealed reads (audit.verify)."""
    from audit.verify import verify

    return verify(batch=batch)
