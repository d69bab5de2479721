"""An import's audit trail: one event per village for the households it creates, found from each
household's timeline, by the auditor's object search, on the event's own page and in the export."""

from pathlib import Path

import pytest
from django.test import Client

from accounts.roles import Role
from audit.models import AuditEvent
from audit.selectors import search
from audit.services import batch_items, verify_chain
from conftest import make_user
from exchange.exports import _audit_rows
from exchange.tests.test_import import row, run_cli, write_xlsx
from households.models import Household
from households.writer import BATCH_CREATE
from regions.models import Level, Region

PASSWORD = "Anju@2026demo"


@pytest.fixture
def auditor(db):
    user = make_user("sd_auditor", "610826", Role.AUDITOR)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def imported(county_user, tmp_path: Path):
    """Three households of 雕山村 and one of another village of 名州镇, in one file."""
    other = Region.objects.filter(full_code__startswith="610826100", level=Level.VILLAGE).exclude(name="雕山村").first()
    assert other is not None
    rows = [row(201), row(202, name="贺兰"), row(203, name="白永旺"), row(204, name="崔海", **{"村": other.name})]
    assert run_cli(write_xlsx(tmp_path / "名州镇.xlsx", rows), "sd_county")["created"] == 4
    return other


def test_households_of_one_village_share_one_event_and_name_it(imported):
    batch = AuditEvent.objects.get(verb=BATCH_CREATE)
    members = Household.objects.filter(region_code=batch.region_code)
    assert batch.after["count"] == 3
    assert sorted(h["id"] for h in batch_items(batch.after)) == sorted(members.values_list("pk", flat=True))
    assert {h["head_id"][-4:] for h in batch_items(batch.after)} <= {m.head_id[-4:] for m in members}
    assert all("*" in h["head_id"] for h in batch_items(batch.after))  # masked, as in every snapshot
    assert batch.actor_name == "sd_county" and batch.object_label.endswith(" 3 户")
    assert set(members.values_list("creation_event_id", flat=True)) == {batch.pk}
    lone = Household.objects.get(village=imported)
    own = AuditEvent.objects.get(verb="household.create", archive_id=lone.pk)
    assert lone.creation_event_id == own.pk and own.after["head_name"] == "崔海"
    assert verify_chain().ok


def test_timeline_search_page_and_export_find_the_batch_event(imported, county_user, auditor):
    batch = AuditEvent.objects.get(verb=BATCH_CREATE)
    household = Household.objects.get(head_name="贺兰")
    client = Client()
    client.force_login(county_user)
    page = client.get(f"/households/{household.pk}/").content.decode()
    assert "批量新建农户档案" in page and batch.object_label in page

    assert batch in search(auditor, {"object_type": "households.household", "object_id": str(household.pk)})
    assert batch in search(auditor, {"object_id": str(household.pk)})

    client.force_login(auditor)
    listing = client.get("/audit/", {"object_id": household.pk}).content.decode()
    assert f"/audit/{batch.pk}/" in listing
    detail = client.get(f"/audit/{batch.pk}/").content.decode()
    assert "本次共新建 3 户" in detail and "贺兰" in detail and "白永旺" in detail
    assert household.head_id not in detail  # ID numbers stay masked

    lone = Household.objects.get(head_name="崔海")
    own = AuditEvent.objects.get(archive_id=lone.pk, verb="household.create")
    listing = client.get("/audit/", {"object_id": lone.pk}).content.decode()
    assert "崔海" in listing and "\\u" not in listing  # the start of `after`, with its characters
    page = client.get(f"/audit/{own.pk}/").content.decode()
    assert 'id="change-table"' in page and "崔海" in page

    lines = [line for line in _audit_rows(AuditEvent.objects.filter(pk=batch.pk)) if line[0] == batch.pk]
    assert sorted(line[7] for line in lines) == sorted(str(h["id"]) for h in batch_items(batch.after))
    assert all(len(line[12]) < 32767 for line in lines)


def test_the_next_county_sees_no_batch_event(imported, db):
    neighbour = make_user("mz_auditor", "610827", Role.AUDITOR)
    batch = AuditEvent.objects.get(verb=BATCH_CREATE)
    client = Client()
    client.force_login(neighbour)
    assert client.get(f"/audit/{batch.pk}/").status_code == 404


def test_an_event_page_names_coded_values(imported, county_user, auditor, tmp_path: Path):
    """A corrected file changes a household's category and structure: its event page and timeline
    name them (农村低保户 → 农村分散供养特困人员, 石窑洞 → 砖混), and 是/否 instead of True/False."""
    changed = row(202, name="贺兰", **{"农户类别": "农村分散供养特困人员", "结构形式": "砖混"})
    assert run_cli(write_xlsx(tmp_path / "改.xlsx", [changed]), "sd_county")["updated"] == 1
    household = Household.objects.get(head_name="贺兰")
    event = AuditEvent.objects.get(verb="household.update", archive_id=household.pk)
    assert event.after["categories"] == ["dispersed_destitute"]  # stored as codes
    client = Client()
    client.force_login(auditor)
    page = client.get(f"/audit/{event.pk}/").content.decode()
    assert "农村低保户" in page and "农村分散供养特困人员" in page and "砖混" in page
    assert "dispersed_destitute" not in page and "brick_concrete" not in page
    client.force_login(county_user)
    timeline = client.get(f"/households/{household.pk}/").content.decode()
    assert "农村低保户 → 农村分散供养特困人员" in timeline


def test_value_labels_by_object_type():
    from audit.labels import value_label

    assert value_label("state", "accepted", "renovation.case") == "已验收"
    assert value_label("status", "open", "field.conflict") != "open"
    assert value_label("only_house", True) == "是" and value_label("x", None) == ""
    assert value_label("dwelling", {"storeys": 2, "address": ""}) == "层数：2"
    assert value_label("unknown", "raw") == "raw"
