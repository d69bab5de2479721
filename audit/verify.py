"""Verifying the audit trail: every event's link and keyed hash, every anchor, every sealed range of
the access log (docs/adr/0017-audit-anchors.md).

What each check catches:
- an edited event: its HMAC no longer matches, and without the key nobody can make one that does,
  so re-hashing the rest of the chain is caught at the edited event;
- a deleted event in the middle: the next event's `prev_hash` no longer links;
- the newest events deleted, or the table emptied: an anchor names more events than are left;
- an edited or deleted read of personal data: the digest of its sealed range no longer matches.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext as _

from audit import keys
from audit.anchors import Anchor, AnchorError, current_epoch, load
from audit.models import GENESIS, AuditEvent
from audit.sealing import RESTART, SEAL_ACCESS, SEAL_LEGACY, digest


@dataclass
class ChainReport:
    checked: int
    first_bad_id: int | None
    reason: str = ""
    head_id: int = 0  # the last event checked, and its hash: what a new anchor pins
    head_hash: str = GENESIS
    anchors: int = 0  # anchors checked
    sealed_reads: int = 0  # access-log rows whose seal was checked
    restarts: int = 0  # anchors restarted after a restore (each a chained event)

    @property
    def ok(self) -> bool:
        return not self.reason

    def message(self) -> str:
        if self.ok:
            text = _("审计链完整：共 %(n)s 条事件，%(a)s 个锚点相符，%(r)s 条个人信息读取记录已封存并相符") % {
                "n": self.checked, "a": self.anchors, "r": self.sealed_reads}  # fmt: skip
            if self.restarts:
                text += _("（锚点曾在恢复后重新起算 %(k)s 次，见审计事件“锚点重新起算”）") % {"k": self.restarts}
            return text
        where = _("第 %(id)s 号事件，") % {"id": self.first_bad_id} if self.first_bad_id is not None else ""
        return _("审计链校验失败：%(where)s%(reason)s（已校验 %(n)s 条）") % {
            "where": where, "reason": self.reason, "n": self.checked}  # fmt: skip


class _Walk:
    """The state of one pass over the events in id order."""

    def __init__(self, anchors: list[Anchor], start: Anchor | None) -> None:
        self.report = ChainReport(checked=0, first_bad_id=None)
        self.by_head: dict[int, list[Anchor]] = defaultdict(list)
        for a in anchors:
            self.by_head[a.head_id].append(a)
        self.matched: set[int] = set()
        self.prev = GENESIS
        self.keyed_seen = False
        # the access row the last checked seal ended at: from the start, the first seal begins at 0
        self.sealed_to: int | None = 0 if start is None else None
        self.from_start = start is None
        self.restarts: set[int | None] = set()
        self.legacy = (0, GENESIS, 0)  # the last event of the legacy (unkeyed) chain: id, hash, count
        if start is not None:
            self.report.checked, self.report.head_id, self.report.head_hash = start.count, start.head_id, start.head_hash
            self.prev, self.keyed_seen = start.head_hash, True
            self.matched.add(start.seq)

    def fail(self, event_id: int | None, reason: str) -> ChainReport:
        self.report.first_bad_id, self.report.reason = event_id, reason
        return self.report

    def check(self, row: AuditEvent) -> str:
        """The reason the event is wrong, or ""."""
        if row.prev_hash != self.prev:
            return _("链接断开：上一条记录被删除或篡改")
        if row.key_id:
            key = keys.by_id(row.key_id)
            if key is None:
                return _("未知的审计密钥 %(key)s：记录被伪造，或缺少轮换前的旧密钥（ANJU_AUDIT_OLD_KEYS）") % {"key": row.key_id}
            if row.compute_hash(key) != row.hash:
                return _("内容与密钥哈希不符：记录被篡改或被重新计算哈希")
            self.keyed_seen = True
        else:
            if self.keyed_seen:
                return _("无密钥的记录出现在密钥链之后：记录被伪造")
            if row.compute_hash() != row.hash:
                return _("内容与哈希不符：记录被篡改")
            self.legacy = (row.id, row.hash, self.report.checked + 1)
            return ""
        if row.verb == SEAL_ACCESS:
            return self.check_seal(row)
        if row.verb == RESTART:
            self.restarts.add((row.after or {}).get("epoch"))
        if row.verb == SEAL_LEGACY and self.from_start:
            after = row.after or {}
            if (after.get("head_id"), after.get("head_hash"), after.get("count")) != self.legacy:
                return _("与封存的旧版审计链不符：旧版记录被删除或篡改")
        return ""

    def check_seal(self, row: AuditEvent) -> str:
        after = row.after or {}
        start, end = int(after.get("from_id", -1)), int(after.get("to_id", -1))
        if self.sealed_to is not None and start != self.sealed_to:
            return _("个人信息读取记录的封存区间不连续：封存记录被删除")
        count, hexdigest = digest(start, end)
        if (count, hexdigest) != (after.get("count"), after.get("digest")):
            return _("封存的个人信息读取记录（第 %(a)s–%(b)s 条）被删除或篡改") % {"a": start + 1, "b": end}
        self.sealed_to = end
        self.report.sealed_reads += count
        return ""

    def pass_anchors(self, row: AuditEvent) -> str:
        for a in self.by_head.get(row.id, ()):
            if a.count != self.report.checked or a.head_hash != row.hash:
                return _("与第 %(seq)s 号锚点不符：锚点记录此事件为第 %(count)s 条，表中为第 %(n)s 条") % {
                    "seq": a.seq, "count": a.count, "n": self.report.checked}  # fmt: skip
            self.matched.add(a.seq)
        return ""

    def finish(self, anchors: list[Anchor], every: list[Anchor]) -> ChainReport:
        """`anchors`: those the table must match; `every`: all of them, older epochs too."""
        report = self.report
        for a in anchors:
            if a.seq not in self.matched:
                return self.fail(
                    a.head_id,
                    _("第 %(seq)s 号锚点记录到第 %(head)s 号事件共 %(count)s 条，表中只有 %(n)s 条（到第 %(last)s 号）："
                      "最新的记录被删除或表被清空") % {
                        "seq": a.seq, "head": a.head_id, "count": a.count, "n": report.checked, "last": report.head_id},
                )  # fmt: skip
        epoch = every[-1].epoch if every else 0
        if self.from_start and epoch and set(range(1, epoch + 1)) - self.restarts:
            return self.fail(None, _("锚点被重新起算，审计链中却没有相应的“锚点重新起算”事件：锚点被伪造或事件被删除"))
        report.restarts = len(self.restarts)
        if report.checked and not self.keyed_seen:
            return self.fail(None, _("旧版（无密钥）审计链尚未封存：请运行 manage.py rechain_audit --from-legacy"))
        report.anchors = len(self.matched)
        return report


def verify(batch: int = 5000, since: Anchor | None = None, anchored: bool = True) -> ChainReport:
    """Check the whole chain against every anchor of the current epoch; with `since` (the latest
    anchor, already checked by `load`), only the events after it, after checking its head is still
    in place. `anchored=False`: the chain alone, anchors neither read nor checked."""
    try:
        anchors = load() if anchored else []
    except AnchorError as exc:
        return ChainReport(checked=0, first_bad_id=None, reason=str(exc))
    epoch_anchors = current_epoch(anchors)
    walk = _Walk(epoch_anchors, since)
    if since is not None:
        head = AuditEvent.objects.filter(pk=since.head_id).values_list("hash", flat=True).first()
        if head != since.head_hash:
            return walk.fail(since.head_id, _("第 %(seq)s 号锚点所记的事件不存在或被改动") % {"seq": since.seq})
        epoch_anchors = [a for a in epoch_anchors if a.head_id > since.head_id]
    last_id = walk.report.head_id
    while True:
        rows = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not rows:
            return walk.finish(epoch_anchors, anchors)
        for row in rows:
            reason = walk.check(row)
            if reason:
                return walk.fail(row.id, reason)
            walk.report.checked += 1
            reason = walk.pass_anchors(row)
            if reason:
                return walk.fail(row.id, reason)
            walk.prev = walk.report.head_hash = row.hash
            walk.report.head_id = last_id = row.id
