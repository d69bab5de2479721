"""Finding 4 (issue 11): the audit trail cannot be emptied, cut or rewritten unnoticed. Each test
is the attack as it was reproduced against main, then `verify_audit`. Runs on SQLite and, with
DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit import keys
from audit.anchoring import anchor_audit
from audit.anchors import anchor_file, load
from audit.models import LEGACY_FIELDS, AuditAnchor, AuditEvent
from audit.services import record, verify_chain
from audit.tests import tampering


def _events(n: int) -> list[AuditEvent]:
    return [record("test.event", object_type="x", object_id=str(i), after={"n": i, "amount": "12.50"}) for i in range(n)]


def _anchored(n: int) -> list[AuditEvent]:
    events = _events(n)
    report, anchor = anchor_audit()
    assert report.ok and anchor is not None and anchor.count == AuditEvent.objects.count()
    return events


def test_events_are_sealed_under_the_key(db):
    event = _events(1)[0]
    assert event.key_id == keys.current().id
    assert event.hash != tampering.legacy({f: getattr(event, f) for f in LEGACY_FIELDS})  # not plain SHA-256
    assert event.compute_hash(keys.current()) == event.hash
    assert verify_chain().ok


def test_editing_one_event_and_rehashing_the_rest_is_caught(db):
    """On main: edit an event, recompute the SHA-256 of it and every later event: "intact"."""
    events = _events(5)
    victim = events[2]
    tampering.raw("UPDATE audit_auditevent SET after = %s WHERE id = %s", [json.dumps({"n": 99, "amount": "9999.00"}), victim.id])
    tampering.rehash_from(victim.id, tampering.with_key(tampering.attacker_key()), key_id=keys.current().id)
    report = verify_chain()
    assert not report.ok and report.first_bad_id == victim.id and "密钥哈希不符" in report.reason


def test_rehashing_with_the_old_unkeyed_algorithm_is_caught(db):
    """The attacker knows the legacy algorithm: every event rewritten as a legacy (key-less) one."""
    events = _events(4)
    tampering.raw("UPDATE audit_auditevent SET object_label = 'forged' WHERE id = %s", [events[1].id])
    tampering.rehash_from(0, tampering.legacy, key_id="")
    report = verify_chain()
    assert not report.ok and "rechain_audit" in report.reason
    # and with an anchor in place the rewrite does not match it either
    tampering.rehash_from(0, tampering.with_key(keys.current()), key_id=keys.current().id)
    anchor_audit()
    tampering.raw("UPDATE audit_auditevent SET object_label = 'forged again' WHERE id = %s", [events[1].id])
    tampering.rehash_from(0, tampering.legacy, key_id="")
    assert not verify_chain().ok


def test_cutting_the_newest_events_is_caught(db):
    """On main: deleting the newest events left a shorter chain that verified."""
    events = _anchored(5)
    tampering.raw("DELETE FROM audit_auditevent WHERE id >= %s", [events[3].id])
    report = verify_chain()
    assert not report.ok and report.first_bad_id == events[4].id
    assert "最新的记录被删除" in report.reason and f"共 {report.checked + 2} 条" in report.reason
    with pytest.raises(CommandError, match="审计链校验失败"):
        call_command("verify_audit")


@pytest.mark.parametrize("how", ["truncate", "delete"])
def test_an_emptied_table_is_caught(db, how):
    """On main: TRUNCATE gave "0 events, intact"."""
    _anchored(3)
    if how == "truncate" and tampering.connection.vendor == "postgresql":
        tampering.raw("TRUNCATE audit_auditevent")
    else:
        tampering.raw("DELETE FROM audit_auditevent")
    report = verify_chain()
    assert not report.ok and "表被清空" in report.reason and report.checked == 0
    with pytest.raises(CommandError, match="表被清空"):
        call_command("verify_audit", "--no-anchor")


def test_emptying_the_anchor_table_too_is_caught_by_the_anchor_file(db):
    _anchored(3)
    tampering.raw("DELETE FROM audit_auditevent")
    tampering.raw("DELETE FROM audit_auditanchor")
    report = verify_chain()
    assert not report.ok and "表被清空" in report.reason


def test_deleting_a_middle_event_is_caught_with_anchors(db):
    events = _anchored(4)
    tampering.raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].id])
    report = verify_chain()
    assert not report.ok and report.first_bad_id == events[2].id and "删除" in report.reason


def test_cut_then_new_events_do_not_hide_the_cut(db):
    """Cut the tail, then let the application append again: the anchor still names the cut events."""
    events = _anchored(4)
    tampering.raw("DELETE FROM audit_auditevent WHERE id >= %s", [events[2].id])
    _events(3)  # new events link to the new (shorter) head, so the chain itself looks whole
    report = verify_chain()
    assert not report.ok and report.first_bad_id == events[3].id and "锚点" in report.reason
    report, anchor = anchor_audit()
    assert not report.ok and anchor is None  # nothing is anchored over a broken trail


def test_anchors_cannot_be_forged_edited_or_dropped(db):
    _anchored(2)
    _events(1)
    _, second = anchor_audit()
    assert second is not None and len(load()) == 2
    path = anchor_file()
    lines = path.read_text().splitlines()
    # an attacker lowers the count in the file: its signature no longer matches
    forged = json.loads(lines[1]) | {"count": 1}
    path.write_text(lines[0] + "\n" + json.dumps(forged) + "\n")
    report = verify_chain()
    assert not report.ok and "锚点" in report.reason
    for junk in ("not json", json.dumps({"seq": "1"}), json.dumps(json.loads(lines[0]) | {"seq": "1"})):
        path.write_text(junk + "\n")
        assert "无法读取" in verify_chain().reason
    # the file's lines removed: the table still holds the anchors, and they still catch a cut
    path.write_text("")
    assert verify_chain().ok
    tampering.raw("DELETE FROM audit_auditevent WHERE id = (SELECT MAX(id) FROM audit_auditevent)")
    assert "最新的记录被删除" in verify_chain().reason
    # an anchor dropped from the middle of both places shows in the next one's signature
    path.write_text(lines[1] + "\n")
    tampering.raw("DELETE FROM audit_auditanchor WHERE seq = 1")
    assert "锚点缺失" in verify_chain().reason


def test_anchor_job_checks_only_since_its_last_anchor_and_skips_when_nothing_is_new(db):
    _anchored(3)
    report, anchor = anchor_audit()
    assert report.ok and anchor is None
    _events(2)
    report, anchor = anchor_audit()
    assert anchor is not None and anchor.seq == 2 and anchor.count == AuditEvent.objects.count()
    assert AuditAnchor.objects.count() == 2 and len(anchor_file().read_text().splitlines()) == 2
    # the incremental check still sees an edit after the last anchor
    _events(1)
    last = AuditEvent.objects.order_by("-id").first()
    tampering.raw("UPDATE audit_auditevent SET verb = 'x' WHERE id = %s", [last.id])
    report, anchor = anchor_audit()
    assert not report.ok and report.first_bad_id == last.id and anchor is None


def test_verify_audit_command_anchors_when_intact(db):
    _events(2)
    call_command("verify_audit")
    assert [a.count for a in load()] == [AuditEvent.objects.count()]
    out = call_command("anchor_audit")
    assert out is None and len(load()) == 1


def test_after_restoring_an_older_backup_anchoring_restarts_only_on_the_record(db):
    """A restore loses the newest events: verify_audit says so until an operator records why and
    restarts the anchors; the restart is a chained event and the old anchors keep their counts."""
    events = _anchored(4)
    tampering.raw("DELETE FROM audit_auditevent WHERE id >= %s", [events[2].id])  # the restored backup lacks them
    assert "最新的记录被删除" in verify_chain().reason
    with pytest.raises(CommandError, match="原因"):
        call_command("anchor_audit", "--restart", " ")
    call_command("anchor_audit", "--restart", "12月1日从11月30日备份恢复")
    report = verify_chain()
    assert report.ok and report.restarts == 1 and "重新起算 1 次" in report.message()
    restart = AuditEvent.objects.get(verb="audit.anchor_restart")
    assert restart.after["last_anchor"]["count"] == report.checked + 1  # 4 events + setup, 2 lost, 1 restart
    assert [a.epoch for a in load()] == [0, 1]
    _events(1)
    assert anchor_audit()[0].ok
    # the restart event removed (with its successors): the new epoch is not on the record
    tampering.raw("DELETE FROM audit_auditevent WHERE id >= %s", [restart.id])
    assert not verify_chain().ok


def test_a_restart_does_not_bless_a_broken_chain(db):
    events = _anchored(3)
    tampering.raw("UPDATE audit_auditevent SET verb = 'x' WHERE id = %s", [events[1].id])
    with pytest.raises(CommandError, match="审计链校验失败"):
        call_command("anchor_audit", "--restart", "恢复")
    assert [a.epoch for a in load()] == [0]
