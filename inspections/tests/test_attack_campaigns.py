"""Campaign counts tried as an official comparing the pages (issue 12, ADR 0027): while a campaign is
open, households added and moved out after its start count the same on its page, the weekly table,
the weekly Excel and the API; an inspection recorded into the campaign by the field sync after it closed
is refused. Figures counted by hand from the households made here."""

from __future__ import annotations

import io
from typing import Any

from django.urls import reverse
from openpyxl import load_workbook

from conftest import SUIDE_VILLAGE_2
from households.models import Household
from inspections.tests.test_campaigns import (
    MINGZHOU,
    TODAY,
    TOWN_2,
    api,
    campaign_over,
    household,
    inspect,
    page_figures,
    weekly_figures,
)


def test_an_open_campaigns_figures_agree_on_every_page_after_households_come_and_go(client: Any, county_user: Any) -> None:
    a = household(county_user, 101)
    b = household(county_user, 102, SUIDE_VILLAGE_2)
    leaving = household(county_user, 103)
    campaign = campaign_over(county_user)
    late = household(county_user, 104, name="高新户")  # after the start
    inspect(county_user, a)
    inspect(county_user, leaving)  # inspected, then moves to the next county
    inspect(county_user, late)
    Household.objects.filter(pk=leaving.pk).update(region_code="610827100200")
    client.force_login(county_user)
    expected = (3, 2, {MINGZHOU: (2, 2), TOWN_2: (1, 0)})  # a, late (名州镇, both inspected); b (not yet)
    assert page_figures(client, campaign) == expected
    assert weekly_figures(client, campaign) == expected
    xlsx = client.get(reverse("inspections:weekly"), {"campaign": campaign.pk, "week_end": TODAY.isoformat(), "format": "xlsx"})
    rows = [[c.value for c in r] for r in load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active.iter_rows()]
    total = next(r for r in rows if r[0] == "合计")
    assert (total[2], total[4]) == (3, 2)  # 农户数 合计, 已排查农户 累计
    progress = api(county_user).get(f"/api/campaigns/{campaign.pk}/progress/").json()["total"]
    assert (progress["total"], progress["done"]) == (3, 2)
    assert b.pk  # b is counted, not inspected
