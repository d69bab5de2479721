"""Finding 10 support: reads of personal data are one cheap append-only row each, sealed into the
keyed chain by the anchor job; a sealed read cannot be removed or edited unnoticed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.roles import Role
from audit.access import DENIED, READ_PERSONAL, record_access, record_denied
from audit.anchoring import anchor_audit
from audit.models import AccessLog, AppendOnlyError, AuditEvent
from audit.sealing import SEAL_ACCESS, seal_access_log
from audit.services import verify_chain
from audit.tests import tampering
from conftest import PASSWORD, make_user
from core.context import ActionContext, acting

NOW = dt.timedelta(0)


def _read(user, *ids, path="/api/households/1/"):
    record_access(actor=user, object_type="households.household", object_ids=list(ids), fields=["head_id", "phone"], path=path)


def test_a_read_is_one_access_row_not_a_chained_event(county_user):
    events = AuditEvent.objects.count()
    with acting(ActionContext(ip="10.1.2.3", source="api", request_id="r1")):
        _read(county_user, 7)
        _read(county_user, *range(1, 701), path="/api/households/")
    assert AuditEvent.objects.count() == events  # no chain lock taken on the hot path
    one, many = AccessLog.objects.order_by("id")
    assert (one.actor_name, one.ip, one.source, one.request_id, one.object_id, one.count) == (
        "sd_county",
        "10.1.2.3",
        "api",
        "r1",
        "7",
        1,
    )
    assert one.region_code == "610826000000" and one.fields == ["head_id", "phone"]
    assert many.object_id == "" and many.count == 700 and len(many.object_ids) == 500
    record_access(actor=county_user, object_type="x", object_ids=[], fields=["phone"])  # nothing read, nothing written
    assert AccessLog.objects.count() == 2


def test_access_rows_refuse_change_through_orm_and_database(county_user):
    _read(county_user, 7)
    row = AccessLog.objects.get()
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        AccessLog.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AccessLog.objects.update(actor_name="x")
    from django.db import DatabaseError, connection, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE audit_accesslog SET actor_name = 'x'")


def test_refusals_stay_chained_events(county_user):
    record_denied(
        actor=county_user, action="view", object_type="households.household", object_id="9", reason="scope", path="/h/9/"
    )
    event = AuditEvent.objects.get(verb=DENIED)
    assert not event.success and event.after["reason"] == "scope"
    assert verify_chain().ok


def test_sealed_reads_are_checked_and_young_ones_wait(county_user):
    _read(county_user, 1)
    assert seal_access_log() is None  # younger than the settling time: left to the next seal
    seal_id = seal_access_log(NOW)
    seal = AuditEvent.objects.get(pk=seal_id)
    assert seal.verb == SEAL_ACCESS and seal.after["count"] == 1
    _read(county_user, 2)
    _read(county_user, 3)
    report, anchor = anchor_audit(settle=NOW)
    assert report.ok and anchor is not None and report.sealed_reads == 3  # no anchor before: the whole log checked
    seals = list(AuditEvent.objects.filter(verb=SEAL_ACCESS).order_by("id").values_list("after", flat=True))
    assert [(s["from_id"], s["to_id"]) for s in seals][1][0] == seals[0]["to_id"]  # ranges follow each other
    assert verify_chain().sealed_reads == 3


@pytest.mark.parametrize("attack", ["delete", "edit"])
def test_a_sealed_read_removed_or_edited_is_caught(county_user, attack):
    """Someone who read a person's numbers wipes the trace of it."""
    for n in range(3):
        _read(county_user, n)
    anchor_audit(settle=NOW)
    victim = AccessLog.objects.order_by("id")[1]
    if attack == "delete":
        tampering.raw("DELETE FROM audit_accesslog WHERE id = %s", [victim.id])
    else:
        tampering.raw("UPDATE audit_accesslog SET actor_name = 'someone_else' WHERE id = %s", [victim.id])
    report = verify_chain()
    assert not report.ok and "个人信息读取记录" in report.reason
    assert report.first_bad_id == AuditEvent.objects.get(verb=SEAL_ACCESS).id


def test_the_audit_page_lists_reads(client, county_user):
    auditor = make_user("sd_auditor", "610826", Role.AUDITOR)
    outsider = make_user("mz_reader", "610827", Role.COUNTY_STAFF)
    _read(county_user, 42)
    _read(county_user, *range(100, 110), path="/api/households/")
    _read(outsider, 42)  # another county's read: not the Suide auditor's to see
    client.login(username=auditor.username, password=PASSWORD)
    url = reverse("audit:search")
    page = client.get(url, {"kind": "reads"}).content.decode()
    assert 'id="reads-table"' in page and page.count("sd_county") == 2 and "mz_reader" not in page
    by_object = client.get(url, {"kind": "reads", "object_id": "105"}).content.decode()
    assert by_object.count("sd_county") == 1 and "/api/households/" in by_object
    assert client.get(url, {"kind": "reads", "since": "不是日期"}).status_code == 200  # bad input: the unfiltered list
    assert 'id="audit-table"' in client.get(url).content.decode()
    assert READ_PERSONAL  # the name kept for callers


@pytest.mark.django_db(transaction=True)
def test_a_read_outside_any_transaction_is_committed_at_once(county_user):
    """The API path: no transaction around the view; the row is there for any other connection."""
    from django.db import connection

    assert not connection.in_atomic_block
    _read(county_user, 5)
    assert AccessLog.objects.filter(object_id="5").count() == 1
    assert not connection.in_atomic_block
