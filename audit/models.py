"""The legal trail: append-only, hash-chained audit events (see docs/adr/0004-audit-chain.md)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.bulk import JSONText
from core.scoping import ScopedQuerySet


class AppendOnlyError(RuntimeError):
    pass


class AuditQuerySet(ScopedQuerySet["AuditEvent"]):
    def visible_to(self, user: Any) -> AuditQuerySet:
        """Events in the user's region; events tied to no region (unknown usernames) go to province level."""
        scoped = super().visible_to(user)
        if len(getattr(user, "region_id", "") or "") == 2:
            return scoped | self.filter(region_code="")  # type: ignore[return-value]
        return scoped  # type: ignore[return-value]

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("审计日志只能追加，不能修改")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("审计日志只能追加，不能删除")


class AuditEvent(models.Model):
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

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("审计日志只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("审计日志只能追加，不能删除")

    def compute_hash(self) -> str:
        return chain_hash({f: getattr(self, f) for f in CHAINED_FIELDS})


# Every field but id and hash, in a fixed order; `at` as ISO text to the microsecond.
CHAINED_FIELDS = (
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


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def chain_hash(values: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of an event's chained fields (shared by writer and verifier).

    A value given as `JSONText` is taken as its canonical JSON already (the writer encodes a large
    `after` once, for the hash and for the row): the list's text is then put together from its
    items' texts, which is the same text `canonical_json` gives for the whole list."""
    body = [values[f] for f in CHAINED_FIELDS]
    body[0] = values["at"].isoformat(timespec="microseconds")
    if any(isinstance(v, JSONText) for v in body):
        text = "[" + ",".join(v if isinstance(v, JSONText) else canonical_json(v) for v in body) + "]"
    else:
        text = canonical_json(body)
    return hashlib.sha256(text.encode()).hexdigest()
