"""The auditor's log tried as an attacker (issue 12, ADR 0028): the household lookup by a non-auditor,
another county's household named by id in the URL or the export, and GETs that would write."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from audit.models import AccessLog, AuditEvent
from audit.tests import test_auditor_log as _log
from audit.tests.test_auditor_log import _events_table, _ids_in
from conftest import MIZHI_VILLAGE, add_household, make_id
from exchange.exports import KINDS

auditor = _log.auditor  # a fixture of audit.tests.test_auditor_log
auditor_client = _log.auditor_client  # a fixture of audit.tests.test_auditor_log


def test_the_id_number_lookup_is_the_auditors_alone_and_keeps_no_number(county_user: Any) -> None:
    number = make_id(seq=411)
    add_household(county_user, head_id=number, name="贺兰")
    events, reads = AuditEvent.objects.count(), AccessLog.objects.count()
    client = Client()
    client.force_login(county_user)
    response = client.post(reverse("audit:search"), {"id_number": number})
    assert response.status_code in (403, 404)
    assert number not in response.content.decode() and number not in response.get("Location", "")
    for e in AuditEvent.objects.filter(pk__gt=0)[events:]:
        assert number not in f"{e.before} {e.after} {e.object_label} {e.object_id}"
    for r in AccessLog.objects.all()[reads:]:
        assert number not in f"{r.object_ids} {r.path}"


def test_another_countys_household_named_by_id_shows_nothing_in_the_log_or_the_export(
    county_user: Any, neighbour_user: Any, auditor: Any, auditor_client: Client
) -> None:
    elsewhere = add_household(neighbour_user, head_id=make_id(seq=412, area="610827"), village=MIZHI_VILLAGE, name="白永旺")
    assert AuditEvent.objects.filter(archive_id=elsewhere.pk).exists()
    assert not _ids_in(_events_table(auditor_client, {"household": str(elsewhere.pk)}))
    assert not _ids_in(_events_table(auditor_client, {"object_id": str(elsewhere.pk), "object_type": "households.household"}))
    assert not KINDS["audit"].queryset(auditor, {"household": str(elsewhere.pk)}).exists()
    event = AuditEvent.objects.filter(archive_id=elsewhere.pk).first()
    assert event is not None
    assert auditor_client.get(reverse("audit:detail", args=[event.pk])).status_code == 404
    assert "白永旺" not in auditor_client.get(reverse("audit:search")).content.decode()


def test_reading_the_log_writes_no_audit_event(county_user: Any, auditor_client: Client) -> None:
    add_household(county_user, name="贺兰")
    before = AuditEvent.objects.count()
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    for url, params in (
        (reverse("audit:search"), {}),
        (reverse("audit:search"), {"verb": "households", "object_type": "households.household"}),
        (reverse("audit:search"), {"kind": "reads"}),
        (reverse("audit:detail", args=[event.pk]), {}),
    ):
        assert auditor_client.get(url, params).status_code == 200
    assert AuditEvent.objects.count() == before


def test_a_notice_and_a_step_read_with_chinese_field_names(village_user: Any, dangerous: Any, auditor_client: Client) -> None:
    """The keys the case workflow records (on, start, end, cases) by their Chinese names, on the list and the event."""
    import re

    from audit.labels import changes
    from renovation import notices, services
    from renovation.tests.fixtures import TODAY

    case = services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    services.transition(actor=village_user, case_id=case.pk, action="village_review", comment="村民代表会议通过")
    notices.publish(actor=village_user, level="village", scope=case.region_code, case_ids=[case.pk], start_date=TODAY)
    events = AuditEvent.objects.filter(verb__in=["renovation.village_review", "renovation.notice", "renovation.village_notice"])
    assert events.count() == 3
    for event in events:
        labels = [row.label for row in changes(event.object_type, event.before, event.after)]
        assert labels and not [x for x in labels if re.search(r"[A-Za-z]", x)], (event.verb, labels)
        page = auditor_client.get(reverse("audit:detail", args=[event.pk])).content.decode()
        assert "<td>on</td>" not in page and "<td>cases</td>" not in page
