"""The yearly summary counts every case (issue 12, finding 7): a case whose mode is not agreed yet has its
own row "方式未定", on the page and in the Excel, and the rows add up to the total."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
from django.test import Client

from conftest import PASSWORD, add_household, make_id
from funds import selectors
from renovation.models import Case
from renovation.services import open_case
from renovation.tests.fixtures import LONG_AGO, accepted_repair, appraise, through_notices


def test_cases_with_no_mode_are_counted(
    county_user: Any, town_user: Any, village_user: Any, craftsman: Any, appraiser_user: Any, trained_appraiser: Any
) -> None:
    agreed = add_household(county_user, head_id=make_id(seq=810), name="郝建国", bank_account="6230000000000081000")
    appraise(appraiser_user, trained_appraiser, agreed, "C", LONG_AGO)
    case = open_case(actor=village_user, house_id=agreed.houses.get().pk)
    accepted_repair(case, village_user, town_user, county_user, craftsman, appraiser_user, trained_appraiser)
    for n in range(2):  # approved but not agreed: no mode yet
        household = add_household(county_user, head_id=make_id(seq=820 + n), name=f"白{n}")
        appraise(appraiser_user, trained_appraiser, household, "D", LONG_AGO)
        through_notices(open_case(actor=village_user, house_id=household.houses.get().pk), village_user, town_user, county_user)
    year = case.year
    assert Case.objects.filter(mode="").count() == 2
    summary = selectors.year_summary("610826", year)
    rows = {r.label: r.cases for r in summary.rows}
    assert rows["C级 维修加固"] == 1 and rows["方式未定"] == 2 and summary.total.cases == 3
    assert sum(r.cases for r in summary.rows) == summary.total.cases
    client = Client()
    assert client.login(username="sd_county", password=PASSWORD)
    page = client.get(f"/funds/summary/?county=610826&year={year}").content.decode()
    assert "方式未定" in page
    book = openpyxl.load_workbook(
        io.BytesIO(b"".join(client.get(f"/funds/summary/?county=610826&year={year}&format=xlsx").streaming_content))
    )
    found = {r[0]: r[1] for r in book.active.iter_rows(values_only=True) if r and r[0]}
    assert found["方式未定"] == 2 and found["合计"] == 3


def test_a_case_no_named_row_holds_is_shown_as_other(
    county_user: Any, town_user: Any, village_user: Any, craftsman: Any, appraiser_user: Any, trained_appraiser: Any
) -> None:
    household = add_household(county_user, head_id=make_id(seq=830), name="刘翠兰")
    appraise(appraiser_user, trained_appraiser, household, "C", LONG_AGO)
    case = through_notices(
        open_case(actor=village_user, house_id=household.houses.get().pk), village_user, town_user, county_user
    )
    Case.objects.filter(pk=case.pk).update(mode="rebuild_onsite")  # a C house rebuilt: no "D级" row holds it
    summary = selectors.year_summary("610826", case.year)
    rows = {r.label: r.cases for r in summary.rows}
    assert rows["其他（等级与改造方式不对应）"] == 1 and summary.total.cases == 1
