"""The legal trail: append-only audit events in a keyed chain, the anchors that pin its head, and the
log of personal-data reads sealed into it (docs/adr/0004-audit-chain.md, 0017-audit-anchors.md)."""

from __future__ import annotations

import hashlib
import json
from typing import Any, TypeVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit import keys
from core.bulk import JSONText
from core.scoping import ScopedQuerySet

GENESIS = "0" * 64  # the prev_hash of the first event


class AppendOnlyError(RuntimeError):
    pass


_M = TypeVar("_M", bound=models.Model)


class AppendOnlyQuerySet(ScopedQuerySet[_M]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("审计日志只能追加，不能修改")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("审计日志只能追加，不能删除")


class AppendOnly(models.Model):
    """A row of the trail: written once, never changed or deleted through the ORM (the database
    refuses it too, ADR 0004/0017)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("审计日志只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("审计日志只能追加，不能删除")


class AuditQuerySet(AppendOnlyQuerySet["AuditEvent"]):
    def visible_to(self, user: Any) -> AuditQuerySet:
        """Events in the user's region; events tied to no region (unknown usernames) go to province level."""
        scoped = super().visible_to(user)
        if len(getattr(user, "region_id", "") or "") == 2:
            return scoped | self.filter(region_code="")  # type: ignore[return-value]
        return scoped  # type: ignore[return-value]


class AuditEvent(AppendOnly):
    at = models.DateTimeField(_("时间"), db_index=True)
    actor_id = models.BigIntegerField(_("操作人ID"), null=True, blank=True)
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    ip = models.CharField(_("来源IP"), max_length=45, blank=True)
    source = models.CharField(_("途径"), max_length=16, blank=True)
    request_id = models.CharField(_("请求ID"), max_length=32, blank=True)
    verb = models.CharField(_("操作"), max_length=60)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True)
    object_label = models.CharField(_("对象"), max_length=200, blank=True)
    # The household archive (一户一档) the object belongs to, so its timeline finds every event.
    archive_id = models.BigIntegerField(_("档案"), null=True, blank=True)
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True)
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)
    success = models.BooleanField(_("成功"), default=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)  # checked by verify_audit, never looked up: no index
    # The audit key that sealed the event (audit.keys); "" for events of the legacy unkeyed SHA-256 chain.
    key_id = models.CharField(max_length=16, blank=True, default="")

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计事件")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["region_code", "at"], name="audit_region_at"),
            models.Index(fields=["actor_id", "at"], name="audit_actor_at"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["archive_id"], name="audit_archive"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.verb} {self.object_label}"

    def compute_hash(self, key: keys.AuditKey | None = None) -> str:
        """The hash the event should carry: keyed by `key` (default: the current key), or the
        legacy SHA-256 for an event without a key id."""
        values = {f: getattr(self, f) for f in CHAINED_FIELDS}
        return chain_hash(values, key) if self.key_id else legacy_hash(values)


# Every field of the legacy chain but id and hash, in a fixed order; `at` as ISO text to the microsecond.
LEGACY_FIELDS = (
    "at",
    "actor_id",
    "actor_name",
    "ip",
    "source",
    "request_id",
    "verb",
    "object_type",
    "object_id",
    "object_label",
    "archive_id",
    "region_code",
    "before",
    "after",
    "success",
    "prev_hash",
)
# The keyed chain seals the key id too.
CHAINED_FIELDS = (*LEGACY_FIELDS, "key_id")


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _chained_text(values: dict[str, Any], fields: tuple[str, ...]) -> bytes:
    """The canonical JSON of an event's chained fields, as a list in `fields` order.

    A value given as `JSONText` is taken as its canonical JSON already (the writer encodes a large
    `after` once, for the hash and for the row): the list's text is then put together from its
    items' texts, which is the same text `canonical_json` gives for the whole list."""
    body = [values[f] for f in fields]
    body[0] = values["at"].isoformat(timespec="microseconds")
    if any(isinstance(v, JSONText) for v in body):
        text = "[" + ",".join(v if isinstance(v, JSONText) else canonical_json(v) for v in body) + "]"
    else:
        text = canonical_json(body)
    return text.encode()


def chain_hash(values: dict[str, Any], key: keys.AuditKey | None = None) -> str:
    """HMAC-SHA256, under the audit key (default: the current one), of the canonical JSON of an
    event's chained fields: the one function of writer and verifier. Without the key, nobody can
    compute a valid hash for an edited event, so re-hashing the rest of the chain is no use."""
    mac = (key or keys.current()).chain.copy()
    mac.update(_chained_text(values, CHAINED_FIELDS))
    return mac.hexdigest()


def legacy_hash(values: dict[str, Any]) -> str:
    """The unkeyed SHA-256 of the chain before issue 11: only verified, never written
    (see `audit.legacy`)."""
    return hashlib.sha256(_chained_text(values, LEGACY_FIELDS)).hexdigest()


class AccessLogQuerySet(AppendOnlyQuerySet["AccessLog"]):
    pass


class AccessLog(AppendOnly):
    """An API read that returned personal data: one plain append-only row per read (no chain lock
    on the hot path), sealed into the chain in ranges by `anchor_audit` (audit.sealing)."""

    at = models.DateTimeField(_("时间"))
    actor_id = models.BigIntegerField(_("操作人ID"), null=True, blank=True)
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    ip = models.CharField(_("来源IP"), max_length=45, blank=True)
    source = models.CharField(_("途径"), max_length=16, blank=True)
    request_id = models.CharField(_("请求ID"), max_length=32, blank=True)
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True)
    object_type = models.CharField(_("对象类型"), max_length=60)
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True)  # when one object was read
    object_ids = models.JSONField(_("对象ID列表"))
    count = models.IntegerField(_("条数"))
    fields = models.JSONField(_("个人信息字段"))
    path = models.CharField(_("地址"), max_length=300, blank=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("个人信息读取记录")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["region_code", "at"], name="access_region_at"),
            models.Index(fields=["object_type", "object_id"], name="access_object"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.actor_name} {self.object_type}"


class AuditAnchor(models.Model):
    """A signed record of the chain's head (id, hash, count): kept here (on PostgreSQL in a table
    the application's role may only read and insert into) and in the anchor file (audit.anchors)."""

    seq = models.PositiveBigIntegerField(primary_key=True)
    at = models.DateTimeField()
    head_id = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    count = models.BigIntegerField()
    # Raised by a restart after a restore (anchor_audit --restart): only the newest epoch's anchors
    # must match the table; older ones stay signed and linked, and the restart is a chained event.
    epoch = models.IntegerField(default=0)
    key_id = models.CharField(max_length=16)
    prev_sig = models.CharField(max_length=64, blank=True)
    sig = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"anchor {self.seq}: #{self.head_id} ({self.count})"
