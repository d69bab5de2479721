"""Field encryption for personal numbers (ID, phone, bank account).

Each value is stored twice: AES-256-GCM ciphertext that only the key opens, and an HMAC-SHA256
"blind index" for exact lookup and uniqueness. Keys live outside the database (environment or key
file), so a copy of the database alone reveals no number. See docs/adr/0003-field-encryption.md and
docs/adr/0019-personal-data-disclosure-and-bound-ciphertexts.md.

A version 2 ciphertext is `0x02 || key id (1 byte) || nonce (12) || ciphertext+tag`, sealed with
the associated data `header || table/field/ || row id`: a ciphertext copied to another row or field,
or altered, fails its tag. Version 1 (`nonce || ciphertext+tag`, key 1, no associated data) is still
read until `manage.py rotate_field_key` has re-encrypted it (and may then be refused with
ANJU_FIELD_ACCEPT_V1=0). A value that cannot be opened reads as `UNREADABLE` ("无法解密"), logged
once per row and field per process, so one bad row never breaks a list, a page or an export.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, router, transaction
from django.utils.translation import gettext_noop

if TYPE_CHECKING:
    from collections.abc import Iterator

logger = logging.getLogger("anju.crypto")

NONCE_BYTES = 12
TAG_BYTES = 16
V2 = 2
HEADER_BYTES = 2  # version, key id


class Undecryptable(ValueError):
    """A ciphertext that does not open: altered, moved to another row or field, or of an unknown key."""


class Unreadable(str):
    """What an undecryptable value reads as: shown as it is (masks leave it alone), never stored back."""

    __slots__ = ()


UNREADABLE = Unreadable(gettext_noop("无法解密"))


def derive(master: bytes, purpose: bytes) -> bytes:
    return hmac.new(master, purpose, hashlib.sha256).digest()


def master_key(raw: str, what: str) -> bytes:
    try:
        master = base64.b64decode(raw.strip(), validate=True)
    except ValueError:
        master = b""
    if len(master) != 32:
        raise ImproperlyConfigured(f"{what} 必须是 32 字节密钥的 base64 编码")
    return master


def key_text(raw: str, path: Path, label: str, setting: str) -> str:
    """A secret from its setting, else from its key file; the file is made (32 random bytes) only in DEBUG."""
    if raw:
        return raw
    if not path.exists():
        if not settings.DEBUG:
            raise ImproperlyConfigured(f"{label}不存在：请设置 {setting} 或提供密钥文件 {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(base64.b64encode(os.urandom(32)).decode())
        path.chmod(0o600)
    return str(path.read_text().strip())


def _key_one() -> str:
    """Key id 1: ANJU_FIELD_KEY, else the key file (created only in DEBUG)."""
    return key_text(settings.ANJU_FIELD_KEY, settings.ANJU_FIELD_KEY_FILE, "加密密钥", "ANJU_FIELD_KEY")


def parse_keys(spec: str) -> dict[int, str]:
    """`ANJU_FIELD_KEYS`: "2:<base64>,3:<base64>" (commas, spaces or new lines between pairs)."""
    keys: dict[int, str] = {}
    for item in spec.replace(",", " ").split():
        kid, sep, raw = item.partition(":")
        if not sep or not kid.isdigit() or not 1 <= int(kid) <= 255:
            raise ImproperlyConfigured("ANJU_FIELD_KEYS 的每一项应为“密钥编号:base64密钥”，编号为 1–255")
        if int(kid) in keys:
            raise ImproperlyConfigured(f"ANJU_FIELD_KEYS 中密钥编号 {kid} 重复")
        keys[int(kid)] = raw
    return keys


@dataclass(frozen=True)
class Keyring:
    current: int  # the key id new ciphertexts are sealed with
    header: bytes  # version 2 and the current key id
    sealers: dict[int, AESGCM]  # version 2 keys by id
    v1: AESGCM  # version 1: key 1, as before
    index: Any  # the blind index's HMAC with its key already set (copied per value)


@lru_cache(maxsize=1)
def keyring() -> Keyring:
    raws = parse_keys(getattr(settings, "ANJU_FIELD_KEYS", ""))
    one = raws.get(1)
    if one is None or settings.ANJU_FIELD_KEY:
        first = _key_one()
        if one is not None and master_key(one, "ANJU_FIELD_KEYS") != master_key(first, "ANJU_FIELD_KEY"):
            raise ImproperlyConfigured("ANJU_FIELD_KEYS 中的 1 号密钥与 ANJU_FIELD_KEY 不同")
        raws[1] = first
    masters = {kid: master_key(raw, f"{kid} 号字段密钥") for kid, raw in raws.items()}
    current = int(getattr(settings, "ANJU_FIELD_KEY_ID", 0) or max(masters))
    if current not in masters:
        raise ImproperlyConfigured(f"ANJU_FIELD_KEY_ID={current}，但没有配置该编号的密钥")
    # The blind index stays on key 1 across rotations: lookups and uniqueness keep working unchanged.
    index_key = derive(masters[1], b"anju-blind-index-v1")
    return Keyring(
        current=current,
        header=bytes((V2, current)),
        sealers={kid: AESGCM(derive(m, b"anju-field-encryption-v2")) for kid, m in masters.items()},
        v1=AESGCM(derive(masters[1], b"anju-field-encryption-v1")),
        index=hmac.new(index_key, digestmod=hashlib.sha256),
    )


def reset_keys() -> None:
    """Forget the keys read from settings (tests, and the rotation command after a change)."""
    keyring.cache_clear()


_keys = keyring  # the name conftest.py clears


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


def context(table: str, field: str) -> bytes:
    """The fixed part of a value's associated data: which table and field it belongs to."""
    return f"{table}/{field}/".encode()


def encrypt(value: str, ctx: bytes, row_id: int) -> bytes:
    """Seal `value` for the field `ctx` (see `context`) of row `row_id`, with the current key."""
    ring = keyring()
    nonce = _nonce()
    header = ring.header
    return header + nonce + ring.sealers[ring.current].encrypt(nonce, value.encode(), b"%b%b%d" % (header, ctx, row_id))


def decrypt(blob: bytes | memoryview, ctx: bytes, row_id: int, *, accept_v1: bool | None = None) -> str:
    """Open a ciphertext of the field `ctx` of row `row_id`; Undecryptable if it does not open there."""
    ring = keyring()
    data = bytes(blob)
    if len(data) >= HEADER_BYTES + NONCE_BYTES + TAG_BYTES and data[0] == V2:
        sealer = ring.sealers.get(data[1])
        if sealer is not None:
            nonce = data[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES]
            try:
                return sealer.decrypt(nonce, data[HEADER_BYTES + NONCE_BYTES :], b"%b%b%d" % (data[:2], ctx, row_id)).decode()
            except (InvalidTag, UnicodeDecodeError):
                pass  # perhaps a version 1 value whose nonce begins with the same two bytes
    if accept_v1 if accept_v1 is not None else getattr(settings, "ANJU_FIELD_ACCEPT_V1", True):
        if len(data) >= NONCE_BYTES + TAG_BYTES:
            try:
                return ring.v1.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], None).decode()
            except (InvalidTag, UnicodeDecodeError):
                pass
    raise Undecryptable(f"{ctx.decode(errors='replace')}{row_id}")


def is_current(blob: bytes | memoryview) -> bool:
    """Whether a ciphertext is already version 2 under the current key (its tag is not checked)."""
    return len(blob) > HEADER_BYTES and bytes(blob[:HEADER_BYTES]) == keyring().header


# How many values could not be opened, by "table/field", since the process started.
unreadable_counts: Counter[str] = Counter()
_reported: set[tuple[bytes, int]] = set()
_REPORTED_MAX = 10_000


def read(blob: bytes | memoryview | None, ctx: bytes, row_id: int) -> str:
    """The value, "" for none, or UNREADABLE (logged once per row and field) if it does not open."""
    if not blob:
        return ""
    try:
        return decrypt(blob, ctx, row_id)
    except Undecryptable:
        pass
    where = ctx.decode(errors="replace")
    unreadable_counts[where.rstrip("/")] += 1
    if (ctx, row_id) not in _reported:
        if len(_reported) >= _REPORTED_MAX:
            _reported.clear()
        _reported.add((ctx, row_id))
        table, field = where.rstrip("/").split("/", 1)
        logger.warning(
            "ciphertext does not open: table=%s field=%s row=%s", table, field, row_id,
            extra={"table": table, "field": field, "row_id": row_id},
        )  # fmt: skip
    return UNREADABLE


def blind_index(value: str) -> str:
    """Keyed hash for exact lookup; the same value always gives the same hex digest."""
    mac = keyring().index.copy()  # the keyed state copied: quicker than keying a new HMAC (hmac.digest) per value
    mac.update(value.encode())
    return mac.hexdigest()


PENDING = "_secrets_pending"  # instance attribute: values set before the row had an id


class _Pending:
    """The `<name>_enc` of a value waiting for its row id: no database adapts it, so a row written
    unsealed fails loudly instead of losing the value."""

    __slots__ = ()


class SecretField:
    """A model attribute backed by `<name>_enc` (ciphertext) and `<name>_hash` (blind index).

    Assigning a value updates the index and seals the value to the row's id; a row without an id yet
    keeps the value pending until `seal_pending` (called by `Sealed.save` and `core.bulk.insert_instances`,
    which give the row its id first). Reading opens it (UNREADABLE if it does not open). Empty values
    store empty bytes and an empty index, so "no phone number" stays distinguishable and unindexed.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner = owner
        self.name = name
        self.enc = f"{name}_enc"
        self.hash = f"{name}_hash"
        self._ctx: bytes | None = None

    @property
    def ctx(self) -> bytes:
        if self._ctx is None:
            self._ctx = context(self.owner._meta.db_table, self.name)  # type: ignore[attr-defined]
        return self._ctx

    def read(self, blob: bytes | memoryview | None, row_id: int) -> str:
        """A stored ciphertext of this field of row `row_id` (e.g. from `values_list`), opened."""
        return read(blob, self.ctx, row_id)

    def seal(self, value: str, row_id: int) -> bytes:
        return encrypt(value, self.ctx, row_id) if value else b""

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> SecretField: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> str: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> str | SecretField:
        if obj is None:
            return self
        pending = obj.__dict__.get(PENDING)
        if pending and self.name in pending:
            return str(pending[self.name])
        return read(getattr(obj, self.enc), self.ctx, obj.pk)  # type: ignore[attr-defined]

    def __set__(self, obj: object, value: str | None) -> None:
        value = value or ""
        if isinstance(value, Unreadable):
            raise ValueError("an undecryptable value cannot be stored")
        pending = obj.__dict__.setdefault(PENDING, {})
        pending.pop(self.name, None)
        setattr(obj, self.hash, blind_index(value) if value else "")
        pk = obj.pk  # type: ignore[attr-defined]
        if not value:
            setattr(obj, self.enc, b"")
        elif pk is None:
            pending[self.name] = value
            setattr(obj, self.enc, _Pending())
        else:
            setattr(obj, self.enc, encrypt(value, self.ctx, pk))


def secret_fields(model: type) -> Iterator[SecretField]:
    for klass in model.__mro__:
        for value in vars(klass).values():
            if isinstance(value, SecretField):
                yield value


def seal_pending(obj: models.Model) -> None:
    """Seal the values set on `obj` before it had an id (it has one now)."""
    pending = obj.__dict__.get(PENDING)
    if not pending:
        return
    if obj.pk is None:
        raise ValueError("a row's secrets are sealed to its id: give it one first")
    for field in secret_fields(type(obj)):
        if field.name in pending:
            setattr(obj, field.enc, encrypt(pending.pop(field.name), field.ctx, obj.pk))


class Sealed(models.Model):
    """Models with SecretFields: a new row gets its id before its secrets are sealed to it."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.__dict__.get(PENDING):
            return super().save(*args, **kwargs)
        from core.bulk import allocate_ids  # core.bulk seals the rows it inserts with this module

        with transaction.atomic(using=kwargs.get("using") or router.db_for_write(type(self))):
            if self.pk is None:
                self.pk = allocate_ids(type(self), 1)[0]
                kwargs["force_insert"] = True
            seal_pending(self)
            return super().save(*args, **kwargs)
