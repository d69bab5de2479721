"""Field encryption for personal numbers (ID, phone, bank account).

Each value is stored twice: AES-256-GCM ciphertext (nonce || ciphertext+tag) that only the key
opens, and an HMAC-SHA256 "blind index" for exact lookup and uniqueness. Both keys derive from
one master key kept outside the database (environment variable or key file), so a copy of the
database alone reveals no number. See docs/adr/0003-field-encryption.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12


def _derive(master: bytes, purpose: bytes) -> bytes:
    return hmac.new(master, purpose, hashlib.sha256).digest()


@lru_cache(maxsize=1)
def _keys() -> tuple[AESGCM, Any]:
    """The AES-GCM key, and the blind index's HMAC with its key already set (copied per value)."""
    raw = settings.ANJU_FIELD_KEY
    if not raw:
        path = settings.ANJU_FIELD_KEY_FILE
        if not path.exists():
            if not settings.DEBUG:
                raise ImproperlyConfigured(f"加密密钥不存在：请设置 ANJU_FIELD_KEY 或提供密钥文件 {path}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(base64.b64encode(os.urandom(32)).decode())
            path.chmod(0o600)
        raw = path.read_text().strip()
    master = base64.b64decode(raw)
    if len(master) != 32:
        raise ImproperlyConfigured("ANJU_FIELD_KEY 必须是 32 字节密钥的 base64 编码")
    index_key = _derive(master, b"anju-blind-index-v1")
    return AESGCM(_derive(master, b"anju-field-encryption-v1")), hmac.new(index_key, digestmod=hashlib.sha256)


# Nonces are random, as before; the operating system's random bytes are fetched for 256 nonces at a
# time (a system call per value was a tenth of an import's checking time). Each thread has its own
# pool, and a forked process starts a new one, so no two encryptions can share a nonce.
NONCE_POOL = 256
_pool = threading.local()
_forks = [0]
os.register_at_fork(after_in_child=lambda: _forks.__setitem__(0, _forks[0] + 1))


def _nonce() -> bytes:
    state = _pool.__dict__
    at = state.get("at", 0)
    if at == 0 or state["forks"] != _forks[0]:
        state["bytes"], state["forks"], at = os.urandom(NONCE_BYTES * NONCE_POOL), _forks[0], 0
    state["at"] = (at + NONCE_BYTES) % (NONCE_BYTES * NONCE_POOL)
    return state["bytes"][at : at + NONCE_BYTES]


def encrypt(value: str) -> bytes:
    aead, _ = _keys()
    nonce = _nonce()
    return nonce + aead.encrypt(nonce, value.encode(), None)


def decrypt(blob: bytes | memoryview) -> str:
    aead, _ = _keys()
    data = bytes(blob)
    return aead.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], None).decode()


def blind_index(value: str) -> str:
    """Keyed hash for exact lookup; the same value always gives the same hex digest."""
    mac = _keys()[1].copy()  # the keyed state copied: quicker than keying a new HMAC (hmac.digest) per value
    mac.update(value.encode())
    return mac.hexdigest()


class SecretField:
    """A model attribute backed by `<name>_enc` (ciphertext) and `<name>_hash` (blind index).

    Assigning a value encrypts it and updates the index; reading decrypts. Empty values store
    empty bytes and an empty index, so "no phone number" stays distinguishable and unindexed.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.enc = f"{name}_enc"
        self.hash = f"{name}_hash"

    def __get__(self, obj: object, owner: type | None = None) -> str:
        if obj is None:
            return self  # type: ignore[return-value]
        blob = getattr(obj, self.enc)
        return decrypt(blob) if blob else ""

    def __set__(self, obj: object, value: str | None) -> None:
        value = value or ""
        setattr(obj, self.enc, encrypt(value) if value else b"")
        setattr(obj, self.hash, blind_index(value) if value else "")
