"""The audit key: it seals the event chain (HMAC-SHA256) and signs the anchors (docs/adr/0017-audit-anchors.md).

The key never lives in the database. `ANJU_AUDIT_KEY` (base64 of 32 random bytes) is the current
key; `ANJU_AUDIT_OLD_KEYS` (comma-separated, same form) lists keys retired by a rotation, which the
verifier still needs for the events they sealed. With `ANJU_DEBUG=1` and no variable set, a key
file (`ANJU_AUDIT_KEY_FILE`, var/keys/audit.key) is made on first use, as core/crypto.py does for
the field key; in production a missing key refuses every audit write and check.

Each key is known by a short id derived from it (no registry to keep): each event and anchor names
the id of the key that sealed it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings

from core.crypto import derive, key_text, master_key


@dataclass(frozen=True)
class AuditKey:
    id: str
    chain: Any  # hmac object keyed for the event chain, copied per event
    anchor: bytes  # the key that signs anchors


def make_key(master: bytes) -> AuditKey:
    key_id = derive(master, b"anju-audit-key-id-v1").hex()[:8]
    chain = hmac.new(derive(master, b"anju-audit-chain-v1"), digestmod=hashlib.sha256)
    return AuditKey(id=key_id, chain=chain, anchor=derive(master, b"anju-audit-anchor-v1"))


def _current_master() -> bytes:
    raw = key_text(settings.ANJU_AUDIT_KEY, settings.ANJU_AUDIT_KEY_FILE, "审计密钥", "ANJU_AUDIT_KEY")
    return master_key(raw, "ANJU_AUDIT_KEY")


@lru_cache(maxsize=1)
def keyring() -> tuple[AuditKey, dict[str, AuditKey]]:
    """The current key, and every known key (current and retired) by id."""
    current = make_key(_current_master())
    known = {current.id: current}
    for text in (settings.ANJU_AUDIT_OLD_KEYS or "").split(","):
        if text.strip():
            old = make_key(master_key(text, "ANJU_AUDIT_OLD_KEYS"))
            known.setdefault(old.id, old)
    return current, known


def current() -> AuditKey:
    return keyring()[0]


def by_id(key_id: str) -> AuditKey | None:
    return keyring()[1].get(key_id)


def sign(key: AuditKey, text: str) -> str:
    """An anchor's signature."""
    return hmac.new(key.anchor, text.encode(), hashlib.sha256).hexdigest()
