"""The audit key: outside the database, refused when missing in production, rotatable, and the
legacy (unkeyed) chain of a database from before issue 11 brought under it without rewriting a row."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from audit import keys
from audit.anchors import load
from audit.models import GENESIS, LEGACY_FIELDS, AuditEvent, legacy_hash
from audit.sealing import SEAL_LEGACY
from audit.services import record, verify_chain
from audit.tests import tampering
from core.crypto import master_key


@pytest.fixture
def fresh_keys(settings):
    keys.keyring.cache_clear()
    yield settings
    keys.keyring.cache_clear()


def test_production_without_a_key_refuses_to_write(fresh_keys, tmp_path, db):
    fresh_keys.DEBUG = False
    fresh_keys.ANJU_AUDIT_KEY = ""
    fresh_keys.ANJU_AUDIT_KEY_FILE = tmp_path / "none" / "audit.key"
    with pytest.raises(ImproperlyConfigured, match="审计密钥不存在"):
        record("test.event")
    assert not fresh_keys.ANJU_AUDIT_KEY_FILE.exists()


def test_debug_makes_a_key_file_once(fresh_keys, tmp_path):
    fresh_keys.DEBUG = True
    fresh_keys.ANJU_AUDIT_KEY = ""
    fresh_keys.ANJU_AUDIT_KEY_FILE = path = tmp_path / "keys" / "audit.key"
    first = keys.current().id
    assert path.exists() and oct(path.stat().st_mode)[-3:] == "600"
    keys.keyring.cache_clear()
    assert keys.current().id == first


@pytest.mark.parametrize("bad", ["not base64!", "c2hvcnQ="])
def test_a_malformed_key_is_refused(fresh_keys, bad):
    fresh_keys.ANJU_AUDIT_KEY = bad
    with pytest.raises(ImproperlyConfigured, match="32 字节"):
        keys.current()


def test_rotation_keeps_old_events_verifiable(fresh_keys, db):
    old_key = fresh_keys.ANJU_AUDIT_KEY
    record("test.before_rotation")
    call_command("anchor_audit")
    fresh_keys.ANJU_AUDIT_KEY, fresh_keys.ANJU_AUDIT_OLD_KEYS = tampering.new_key_text(), old_key
    keys.keyring.cache_clear()
    after = record("test.after_rotation")
    assert after.key_id == keys.current().id != keys.make_key(master_key(old_key, "x")).id
    call_command("anchor_audit")
    assert verify_chain().ok and {a.key_id for a in load()} == {after.key_id, keys.make_key(master_key(old_key, "x")).id}
    # the old key forgotten: its events and anchors can no longer be vouched for
    fresh_keys.ANJU_AUDIT_OLD_KEYS = ""
    keys.keyring.cache_clear()
    assert "未知" in verify_chain().reason


def _legacy_event(n: int, prev: str) -> str:
    values = dict.fromkeys(LEGACY_FIELDS, "") | {
        "at": timezone.now(), "actor_id": None, "archive_id": None, "verb": "legacy.event", "object_id": str(n),
        "before": None, "after": {"n": n}, "success": True, "prev_hash": prev,
    }  # fmt: skip
    values["hash"] = legacy_hash(values)
    AuditEvent.objects.create(**values)  # written as the code before issue 11 wrote it: no key id
    return values["hash"]


def test_a_legacy_chain_is_checked_then_sealed_under_the_key(db):
    tampering.raw("DELETE FROM audit_auditevent")  # a database from before the audit key
    prev = GENESIS
    for n in range(3):
        prev = _legacy_event(n, prev)
    report = verify_chain()
    assert not report.ok and "rechain_audit --from-legacy" in report.reason
    call_command("rechain_audit", "--from-legacy")
    seal = AuditEvent.objects.get(verb=SEAL_LEGACY)
    assert seal.key_id and seal.after["count"] == 3 and seal.prev_hash == prev
    assert verify_chain().ok and load()[-1].count == 4
    call_command("rechain_audit", "--from-legacy")  # again: nothing more to seal
    assert AuditEvent.objects.filter(verb=SEAL_LEGACY).count() == 1
    # a legacy event edited and the legacy chain re-hashed: the keyed seal no longer matches
    first = AuditEvent.objects.order_by("id").first()
    tampering.raw("UPDATE audit_auditevent SET object_id = 'forged' WHERE id = %s", [first.id])
    tampering.rehash_from(0, tampering.legacy, key_id="")
    assert not verify_chain().ok


def test_a_tampered_legacy_chain_is_not_sealed(db):
    tampering.raw("DELETE FROM audit_auditevent")
    prev = GENESIS
    for n in range(3):
        prev = _legacy_event(n, prev)
    middle = AuditEvent.objects.order_by("id")[1]
    tampering.raw("UPDATE audit_auditevent SET object_id = 'x' WHERE id = %s", [middle.id])
    with pytest.raises(CommandError, match=r"旧版审计链第 \d+ 号事件内容与哈希不符"):
        call_command("rechain_audit", "--from-legacy")
    assert not AuditEvent.objects.filter(verb=SEAL_LEGACY).exists() and connection.vendor
