"""Inspection campaigns as the domain runs them (issue 12, findings 6 and 7).

A campaign sweeps every household of its region; while it runs, households added to the archive are
in it and count, and its progress page and the weekly statistics table give the same figures. The
county closes it; from then on it keeps the households as they were at closing, and where the archive
has changed since the pages say so with the numbers. Nobody else closes it, nobody reopens it, and no
inspection is recorded in it once closed, whether from the page, the API or the field app.

The expected figures below are counted by hand from the households each test makes.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from audit.models import AuditEvent
from conftest import SUIDE_VILLAGE, SUIDE_VILLAGE_2, add_household, make_id, make_user, token_for
from households.models import Household
from inspections import services
from inspections.models import Campaign, Inspection, InspectionTask

TODAY = dt.date.today()
MINGZHOU, TOWN_2 = SUIDE_VILLAGE[:9], SUIDE_VILLAGE_2[:9]


def api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token_for(user)}")


@pytest.fixture
def town_user(db: Any) -> Any:
    return make_user("sd_town", MINGZHOU, Role.TOWN_STAFF)


def household(actor: Any, seq: int, village: str = SUIDE_VILLAGE, name: str = "郝建国") -> Household:
    return add_household(actor, head_id=make_id(seq=seq), village=village, name=name)


def campaign_over(actor: Any, scope: str = "610826", *, deadline: dt.date | None = None) -> Campaign:
    return services.start_campaign(
        actor=actor, name="2026年三排查三清零", kind="sweep", scope=scope, start_date=TODAY - dt.timedelta(days=10),
        deadline=deadline or TODAY - dt.timedelta(days=1),
    )  # fmt: skip


def inspect(actor: Any, hh: Household, campaign: Campaign | None = None, verdict: str = "safe") -> Inspection:
    data = services.InspectionInput(
        household_id=hh.pk, inspected_on=TODAY, verdict=verdict, inspector_name="张排查",
        campaign_id=campaign.pk if campaign else None,
        risk_parts=["walls"] if verdict == "suspect" else [], measure="appraise" if verdict == "suspect" else "",
    )  # fmt: skip
    return services.record_inspection(actor=actor, data=data)[0]


def page_figures(client: Client, campaign: Campaign, unit: str = "") -> tuple[int, int, dict[str, tuple[int, int]]]:
    """(households, inspected, {town: (households, inspected)}) as the campaign page shows them."""
    ctx = client.get(reverse("inspections:campaign", args=[campaign.pk]) + (f"?unit={unit}" if unit else "")).context
    return ctx["total"].total, ctx["total"].done, {r.code: (r.total, r.done) for r in ctx["rows"]}


def weekly_figures(client: Client, campaign: Campaign | None) -> tuple[int, int, dict[str, tuple[int, int]]]:
    """The same figures as the weekly table shows them for the campaign (or for the archive, without one)."""
    query = {"week_end": TODAY.isoformat(), **({"campaign": campaign.pk} if campaign else {})}
    table = client.get(reverse("inspections:weekly"), query).context["table"]
    rows = {r.code: (r.values["households"], r.values["inspected"]) for r in table.rows if r.values["households"]}
    return table.total.values["households"], table.total.values["inspected"], rows


def close_on_page(client: Client, campaign: Campaign, note: str = "") -> list[str]:
    response = client.post(reverse("inspections:campaign_close", args=[campaign.pk]), {"note": note})
    assert response.status_code == 302
    return [str(m) for m in get_messages(response.wsgi_request)]


def snapshot(campaign: Campaign) -> tuple[str, int, list[int]]:
    campaign.refresh_from_db()
    tasks = sorted(InspectionTask.objects.filter(campaign=campaign).values_list("household_id", flat=True))
    return campaign.state, Inspection.objects.count(), tasks


# --- counts that agree -------------------------------------------------------------------------------


def test_households_added_after_the_start_are_in_the_campaign_and_both_pages_agree(client: Any, county_user: Any) -> None:
    a = household(county_user, 101)
    household(county_user, 102, SUIDE_VILLAGE_2)
    campaign = campaign_over(county_user)
    assert campaign.task_count == 2
    late = household(county_user, 103, name="高新户")  # registered after the campaign started
    inspect(county_user, a)
    inspect(county_user, late, verdict="suspect")
    assert Inspection.objects.get(household=late).campaign_id == campaign.pk  # it counts towards the campaign

    client.force_login(county_user)
    expected = (3, 2, {MINGZHOU: (2, 2), TOWN_2: (1, 0)})
    assert page_figures(client, campaign) == expected
    assert weekly_figures(client, campaign) == expected
    assert weekly_figures(client, None) == expected  # while open the campaign is the archive today
    progress = api(county_user).get(f"/api/campaigns/{campaign.pk}/progress/").json()
    assert (progress["total"]["total"], progress["total"]["done"], progress["total"]["left"]) == (3, 2, 1)
    village = client.get(reverse("inspections:campaign", args=[campaign.pk]) + f"?unit={SUIDE_VILLAGE_2}")
    assert "郝建国" in village.content.decode()  # the one household of the second town still to inspect
    page = client.get(reverse("inspections:campaign", args=[campaign.pk])).content.decode()
    assert "发起时共 2 户，目前范围内有 3 户" in page


def test_a_household_that_leaves_the_region_drops_out_while_the_campaign_is_open(client: Any, county_user: Any) -> None:
    household(county_user, 101)
    leaving = household(county_user, 102, SUIDE_VILLAGE_2)
    campaign = campaign_over(county_user)
    Household.objects.filter(pk=leaving.pk).update(region_code="610827100200")  # moved to the neighbouring county
    client.force_login(county_user)
    assert page_figures(client, campaign)[:2] == weekly_figures(client, campaign)[:2] == (1, 0)


def test_after_closing_the_campaign_keeps_its_households_and_the_pages_explain_the_difference(
    client: Any, county_user: Any
) -> None:
    a = household(county_user, 101)
    b = household(county_user, 102, SUIDE_VILLAGE_2)
    campaign = campaign_over(county_user)
    c = household(county_user, 103)
    inspect(county_user, a)
    inspect(county_user, c)
    client.force_login(county_user)
    assert close_on_page(client, campaign) == ["排查工作已结束，统计以结束时范围内的农户为准。"]
    state, _n, tasks = snapshot(campaign)
    assert state == "closed" and tasks == sorted([a.pk, b.pk, c.pk]) and campaign.task_count == 3
    event = AuditEvent.objects.get(verb="inspection.campaign_close")
    assert event.actor_id == county_user.pk and event.after["state"] == "closed" and event.after["tasks"] == 3

    d = household(county_user, 104, name="后来户")  # after the close
    inspect(county_user, d)  # an ordinary inspection: the closed campaign takes none
    assert Inspection.objects.get(household=d).campaign_id is None
    Household.objects.filter(pk=b.pk).update(region_code="610827100200")  # b moves away after the close

    closed = (3, 2, {MINGZHOU: (2, 2), TOWN_2: (1, 0)})
    assert page_figures(client, campaign) == closed
    assert weekly_figures(client, campaign) == closed
    assert weekly_figures(client, None)[:2] == (3, 3)  # the archive today: a, c, d (b has left), all inspected
    explained = "结束时共 3 户；目前档案中该范围有 3 户，其中结束后新增（或迁入）1 户不在本次排查内，另有 1 户已迁出该范围"
    for url in (reverse("inspections:campaign", args=[campaign.pk]),
                reverse("inspections:weekly") + f"?campaign={campaign.pk}&week_end={TODAY.isoformat()}"):  # fmt: skip
        assert explained in client.get(url).content.decode()
    xlsx = client.get(reverse("inspections:weekly"), {"campaign": campaign.pk, "week_end": TODAY.isoformat(), "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    assert any(explained in str(cell.value) for row in sheet.iter_rows() for cell in row)
    progress = api(county_user).get(f"/api/campaigns/{campaign.pk}/progress/").json()
    assert progress["state"] == "closed"
    assert progress["difference"] == {"closed_with": 3, "today": 3, "added": 1, "gone": 1}


def test_closing_early_needs_a_reason(client: Any, county_user: Any) -> None:
    household(county_user, 101)
    campaign = campaign_over(county_user, deadline=TODAY + dt.timedelta(days=20))
    client.force_login(county_user)
    assert close_on_page(client, campaign) == ["截止日期前结束排查，须写明原因。"]
    assert snapshot(campaign)[0] == "open" and not AuditEvent.objects.filter(verb="inspection.campaign_close").exists()
    close_on_page(client, campaign, note="县里统一提前收尾")
    campaign.refresh_from_db()
    assert campaign.state == "closed" and campaign.close_note == "县里统一提前收尾"


# --- who may close, and no way back ------------------------------------------------------------------


def test_a_town_cannot_close_a_campaign_from_the_page_or_the_api(client: Any, county_user: Any, town_user: Any) -> None:
    household(county_user, 101)
    county_wide = campaign_over(county_user)
    own = services.start_campaign(actor=town_user, name="名州镇回头看", kind="recheck", scope=MINGZHOU,
                                  start_date=TODAY - dt.timedelta(days=3), deadline=TODAY - dt.timedelta(days=1))  # fmt: skip
    client.force_login(town_user)
    town = api(town_user)
    # the county's campaign: the town reads it, but it is not the town's to change (the policy: not found)
    before = snapshot(county_wide)
    assert client.post(reverse("inspections:campaign_close", args=[county_wide.pk])).status_code == 404
    assert town.post(f"/api/campaigns/{county_wide.pk}/close/", {}, content_type="application/json").status_code == 404
    assert snapshot(county_wide) == before
    assert "campaign-close-form" not in client.get(reverse("inspections:campaign", args=[county_wide.pk])).content.decode()
    # even the town's own campaign is closed by the county (the workflow's rule, with its reason)
    before = snapshot(own)
    assert close_on_page(client, own) == ["只有县级及以上的工作人员可以结束排查工作。"]
    response = town.post(f"/api/campaigns/{own.pk}/close/", {}, content_type="application/json")
    assert response.status_code == 400 and "只有县级及以上的工作人员可以结束排查工作" in response.content.decode()
    assert snapshot(own) == before
    assert "campaign-close-form" not in client.get(reverse("inspections:campaign", args=[own.pk])).content.decode()
    assert not AuditEvent.objects.filter(verb="inspection.campaign_close").exists()
    client.force_login(county_user)
    assert "campaign-close-form" in client.get(reverse("inspections:campaign", args=[own.pk])).content.decode()
    assert close_on_page(client, own) == ["排查工作已结束，统计以结束时范围内的农户为准。"]


def test_another_county_cannot_close_it(county_user: Any, neighbour_user: Any) -> None:
    household(county_user, 101)
    campaign = campaign_over(county_user)
    response = api(neighbour_user).post(f"/api/campaigns/{campaign.pk}/close/", {}, content_type="application/json")
    assert response.status_code == 404  # it does not see the campaign at all
    assert snapshot(campaign)[0] == "open"


def test_a_closed_campaign_cannot_be_reopened_or_closed_again(client: Any, county_user: Any) -> None:
    household(county_user, 101)
    campaign = campaign_over(county_user)
    county = api(county_user)
    assert county.post(f"/api/campaigns/{campaign.pk}/close/", {}, content_type="application/json").status_code == 200
    before = snapshot(campaign)
    again = county.post(f"/api/campaigns/{campaign.pk}/close/", {}, content_type="application/json")
    assert again.status_code == 400 and "当前状态为“已结束”，不能进行“结束排查”" in again.content.decode()
    for method in (county.patch, county.put):  # the API has no way to write the state
        response = method(f"/api/campaigns/{campaign.pk}/", {"state": "open"}, content_type="application/json")
        assert response.status_code == 405
    sent = {"name": "x", "scope": "610826", "start_date": TODAY.isoformat(), "deadline": TODAY.isoformat(), "state": "closed"}
    made = county.post("/api/campaigns/", sent, content_type="application/json")
    assert made.status_code == 201 and made.json()["state"] == "open"  # a new campaign starts open, whatever is sent
    client.force_login(county_user)
    assert close_on_page(client, campaign) == ["当前状态为“已结束”，不能进行“结束排查”"]
    assert snapshot(campaign) == before
    assert AuditEvent.objects.filter(verb="inspection.campaign_close").count() == 1


def test_the_database_refuses_a_state_the_workflow_does_not_declare(county_user: Any) -> None:
    campaign = campaign_over(county_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(state="reopened")


# --- no inspection in a closed campaign ------------------------------------------------------------


@pytest.fixture
def closed(county_user: Any) -> tuple[Campaign, Household]:
    hh = household(county_user, 101)
    campaign = campaign_over(county_user)
    services.close_campaign(actor=county_user, campaign=campaign)
    return campaign, hh


REFUSED = "排查工作“2026年三排查三清零”已结束，不能再录入排查记录。"


def test_inspecting_in_a_closed_campaign_is_refused_on_the_page(client: Any, county_user: Any, closed: Any) -> None:
    campaign, hh = closed
    before = snapshot(campaign)
    client.force_login(county_user)
    form = {"inspected_on": TODAY, "inspector_name": "张排查", "verdict": "safe", "uid": uuid.uuid4(), "in_campaign": campaign.pk}
    response = client.post(reverse("inspections:inspect", args=[hh.pk]), form)
    assert response.status_code == 200 and REFUSED in response.content.decode()
    assert snapshot(campaign) == before and not Inspection.objects.exists()


def test_inspecting_in_a_closed_campaign_is_refused_by_the_api(county_user: Any, closed: Any) -> None:
    campaign, hh = closed
    before = snapshot(campaign)
    body = {"uid": str(uuid.uuid4()), "household": hh.pk, "inspected_on": TODAY.isoformat(), "verdict": "safe",
            "inspector_name": "张排查", "campaign": campaign.pk}  # fmt: skip
    response = api(county_user).post("/api/inspections/", body, content_type="application/json")
    assert response.status_code == 400 and REFUSED in response.content.decode()
    assert snapshot(campaign) == before and not Inspection.objects.exists()


def test_inspecting_in_a_closed_campaign_is_refused_by_the_field_sync(county_user: Any, closed: Any) -> None:
    campaign, hh = closed
    before = snapshot(campaign)
    record = {"kind": "inspection", "uid": str(uuid.uuid4()), "household": hh.pk, "house": hh.houses.get().pk,
              "data": {"inspected_on": TODAY.isoformat(), "verdict": "safe", "inspector_name": "张排查",
                       "campaign": campaign.pk}}  # fmt: skip
    response = api(county_user).post("/api/field/sync/", {"records": [record]}, content_type="application/json")
    result = response.json()["results"][0]
    assert result["status"] == "rejected" and REFUSED in str(result["errors"]), result
    assert snapshot(campaign) == before and not Inspection.objects.exists()


def test_an_inspection_cannot_be_put_in_a_campaign_it_is_not_part_of(county_user: Any) -> None:
    hh = household(county_user, 101)
    other_town = services.start_campaign(actor=county_user, name="另一镇", kind="sweep", scope=TOWN_2,
                                         start_date=TODAY, deadline=TODAY)  # fmt: skip
    early = campaign_over(county_user)
    with pytest.raises(ValidationError, match="不在这项排查工作的范围内"):
        inspect(county_user, hh, other_town)
    data = services.InspectionInput(household_id=hh.pk, inspected_on=early.start_date - dt.timedelta(days=1),
                                    verdict="safe", inspector_name="张排查", campaign_id=early.pk)  # fmt: skip
    with pytest.raises(ValidationError, match="排查日期早于这项排查工作的开始日期"):
        services.record_inspection(actor=county_user, data=data)
    assert not Inspection.objects.exists()


def test_two_closes_at_once_cannot_both_win(county_user: Any) -> None:
    household(county_user, 101)
    campaign = campaign_over(county_user)
    stale = Campaign.objects.get(pk=campaign.pk)  # a second official's page, loaded while it was open
    services.close_campaign(actor=county_user, campaign=campaign)
    with pytest.raises(ValidationError, match="当前状态为“已结束”"):
        services.close_campaign(actor=county_user, campaign=stale, note="再结束一次")
    campaign.refresh_from_db()
    assert campaign.close_note == "" and AuditEvent.objects.filter(verb="inspection.campaign_close").count() == 1


def test_the_pending_list_opens_the_form_in_its_campaign(client: Any, county_user: Any) -> None:
    hh = household(county_user, 101)
    campaign = campaign_over(county_user)
    client.force_login(county_user)
    village = client.get(reverse("inspections:campaign", args=[campaign.pk]) + f"?unit={SUIDE_VILLAGE}").content.decode()
    link = reverse("inspections:inspect", args=[hh.pk]) + f"?campaign={campaign.pk}"
    assert link in village
    form = client.get(link).content.decode()
    assert f'name="in_campaign" value="{campaign.pk}"' in form
