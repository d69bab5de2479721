"""Anchors: the chain's head (id, hash) and its event count, signed with the audit key, kept where
the application's database role cannot change them (docs/adr/0017-audit-anchors.md).

Every anchor is written twice: as a line of an append-only file (ANJU_AUDIT_ANCHOR_DIR), and as a
row of `AuditAnchor` (on PostgreSQL a table the application's role may only read and insert into,
see audit.hardening). Each anchor signs the one before it (`prev_sig`), so a line removed from the
middle of the file shows; an anchor lost from one place is still found in the other. The verifier
checks every anchor against the table: an anchor naming more events than the table holds means its
newest events were cut or the table emptied.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import keys
from audit.models import AuditAnchor, canonical_json

FILE_NAME = "audit-anchors.jsonl"


class AnchorError(Exception):
    """The anchors themselves were tampered with (the message says how, in Chinese)."""


@dataclass(frozen=True)
class Anchor:
    seq: int
    at: str
    head_id: int
    head_hash: str
    count: int
    epoch: int
    key_id: str
    prev_sig: str
    sig: str = ""

    def body(self) -> str:
        """What the signature covers: every field but the signature, in a fixed order."""
        return canonical_json(
            [self.seq, self.at, self.head_id, self.head_hash, self.count, self.epoch, self.key_id, self.prev_sig]
        )

    def line(self) -> str:
        return canonical_json(asdict(self))


_TYPES = {"seq": int, "head_id": int, "count": int, "epoch": int} | dict.fromkeys(
    ("at", "head_hash", "key_id", "prev_sig", "sig"), str
)


def anchor_file() -> Path:
    return Path(settings.ANJU_AUDIT_ANCHOR_DIR) / FILE_NAME


def _read_file() -> list[Anchor]:
    path = anchor_file()
    if not path.exists():
        return []
    found = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            anchor = Anchor(**json.loads(text))
        except (ValueError, TypeError) as exc:
            raise AnchorError(_("锚点文件第 %(line)s 行无法读取：文件被改动") % {"line": number}) from exc
        if any(not isinstance(getattr(anchor, f.name), _TYPES[f.name]) for f in fields(Anchor)):
            raise AnchorError(_("锚点文件第 %(line)s 行无法读取：文件被改动") % {"line": number})
        found.append(anchor)
    return found


def _read_table() -> list[Anchor]:
    return [
        Anchor(
            a.seq, a.at.isoformat(timespec="microseconds"), a.head_id, a.head_hash, a.count, a.epoch, a.key_id, a.prev_sig, a.sig
        )
        for a in AuditAnchor.objects.order_by("seq")
    ]


def load() -> list[Anchor]:
    """Every anchor, from the file and the table together, each checked: its signature, the
    signature of the one before it, and the same content wherever it is kept. Raises AnchorError."""
    merged: dict[int, Anchor] = {}
    for anchors in (_read_file(), _read_table()):
        for a in anchors:
            if a.seq in merged and merged[a.seq] != a:
                raise AnchorError(_("第 %(seq)s 号锚点在锚点文件和锚点表中不一致：锚点被改动") % {"seq": a.seq})
            merged[a.seq] = a
    prev_sig, epoch = "", 0
    for number, seq in enumerate(sorted(merged), start=1):
        a = merged[seq]
        key = keys.by_id(a.key_id)
        if key is None:
            raise AnchorError(
                _("第 %(seq)s 号锚点的密钥 %(key)s 未知：锚点被伪造，或缺少轮换前的旧密钥（ANJU_AUDIT_OLD_KEYS）")
                % {"seq": seq, "key": a.key_id}
            )
        if keys.sign(key, a.body()) != a.sig:
            raise AnchorError(_("第 %(seq)s 号锚点签名不符：锚点被改动或伪造") % {"seq": seq})
        if seq != number or a.prev_sig != prev_sig:
            raise AnchorError(_("第 %(seq)s 号锚点之前的锚点缺失：锚点被删除") % {"seq": seq})
        if a.epoch not in (epoch, epoch + 1):
            raise AnchorError(_("第 %(seq)s 号锚点的起算轮次不连续：锚点被伪造") % {"seq": seq})
        prev_sig, epoch = a.sig, a.epoch
    return [merged[seq] for seq in sorted(merged)]


def current_epoch(anchors: list[Anchor]) -> list[Anchor]:
    """The anchors the table must match: those since the last restart."""
    epoch = anchors[-1].epoch if anchors else 0
    return [a for a in anchors if a.epoch == epoch]


def write(head_id: int, head_hash: str, count: int, restart: bool = False) -> Anchor:
    """Append an anchor for the given head (verified by the caller) to the table, then the file;
    `restart`: the first anchor of a new epoch (audit.anchoring.restart)."""
    from audit.services import lock_chain  # the chain's lock also serialises anchors

    key = keys.current()
    with transaction.atomic():
        lock_chain()
        existing = load()
        last = existing[-1] if existing else None
        epoch = (last.epoch if last else 0) + (1 if restart else 0)
        if last is not None and not restart and (head_id < last.head_id or count < last.count):
            raise AnchorError(
                _("新锚点（第 %(head)s 号事件，共 %(count)s 条）落后于第 %(seq)s 号锚点：审计日志被删减")
                % {"head": head_id, "count": count, "seq": last.seq}
            )
        anchor = Anchor(
            seq=(last.seq if last else 0) + 1,
            at=timezone.now().isoformat(timespec="microseconds"),
            head_id=head_id,
            head_hash=head_hash,
            count=count,
            epoch=epoch,
            key_id=key.id,
            prev_sig=last.sig if last else "",
        )
        anchor = Anchor(**{**asdict(anchor), "sig": keys.sign(key, anchor.body())})
        AuditAnchor.objects.create(
            seq=anchor.seq, at=dt.datetime.fromisoformat(anchor.at), head_id=head_id, head_hash=head_hash,
            count=count, epoch=epoch, key_id=key.id, prev_sig=anchor.prev_sig, sig=anchor.sig,
        )  # fmt: skip
    _append(existing, anchor)
    return anchor


def _append(existing: list[Anchor], anchor: Anchor) -> None:
    """Add the anchor to the file, after any anchors the file lacks (the table has them: a run that
    stopped between commit and file, or a file restored from an older copy)."""
    path = anchor_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    in_file = {a.seq for a in _read_file()}
    lines = [a.line() + "\n" for a in [*existing, anchor] if a.seq not in in_file]
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, "".join(lines).encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
