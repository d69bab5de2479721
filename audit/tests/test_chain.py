import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit.models import AppendOnlyError, AuditEvent
from audit.services import record, verify_chain


def test_chain_verifies_and_detects_tampering(db):
    for n in range(5):
        record("test.event", object_type="x", object_id=str(n), after={"n": n, "amount": "12.50"})
    assert verify_chain().ok
    call_command("verify_audit")
    victim = AuditEvent.objects.order_by("id")[2]
    with connection.cursor() as cur:
        # a DBA bypassing the application: drop the guard, then edit a row
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_no_update")
        else:
            cur.execute("DROP TRIGGER audit_no_update")
        cur.execute("UPDATE audit_auditevent SET after = %s WHERE id = %s", ['{"n": 99}', victim.id])
    report = verify_chain()
    assert not report.ok and report.first_bad_id == victim.id
    with pytest.raises(CommandError, match="审计链校验失败"):
        call_command("verify_audit")


def test_deleting_a_middle_event_breaks_the_chain(db):
    for n in range(4):
        record("test.event", object_id=str(n))
    victim = AuditEvent.objects.order_by("id")[1]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_no_update")
        cur.execute("DELETE FROM audit_auditevent WHERE id = %s", [victim.id])
    report = verify_chain()
    assert not report.ok and "删除" in report.reason


def test_orm_and_database_refuse_changes(db):
    event = record("test.event")
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(verb="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("UPDATE audit_auditevent SET verb = 'x' WHERE id = %s", [event.id])
