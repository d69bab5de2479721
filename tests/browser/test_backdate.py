"""A county official tries to back-date a county notice in Chromium (issue 12, finding 1).

First the notice is dated before the county's own approval: refused in the form, nothing published.
Then it is dated three days back (the day of approval, which is allowed as the day it was posted):
the notice page shows the 5 days counted from today, and the agreement is refused until they are over.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from renovation import notices, services
from renovation.dates import clock_at
from renovation.models import Case, Notice
from renovation.tests.fixtures import opened_on
from tests.browser.conftest import shot
from tests.browser.test_renovation import as_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DAY = dt.timedelta(days=1)


def test_a_back_dated_county_notice_is_refused_or_counted_from_today(
    page: Any, county_user: Any, village_user: Any, town_user: Any, dangerous: Any
) -> None:
    today = timezone.localdate()
    case = services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    opened_on(case, today - 40 * DAY)
    with clock_at(today - 30 * DAY):
        services.transition(actor=village_user, case_id=case.pk, action="village_review")
        notices.publish(
            actor=village_user, level="village", scope=case.region_code, case_ids=[case.pk], start_date=today - 30 * DAY
        )
    with clock_at(today - 20 * DAY):
        services.transition(actor=town_user, case_id=case.pk, action="town_review")
        notices.publish(
            actor=town_user, level="town", scope=case.region_code[:9], case_ids=[case.pk], start_date=today - 20 * DAY
        )
    with clock_at(today - 3 * DAY):
        services.transition(actor=county_user, case_id=case.pk, action="county_approve")

    as_user(page, "sd_county")
    # 1. dated a week back, before the approval three days ago: refused in the form
    page.goto("/renovation/notices/new/")
    page.fill("input[name=start_date]", (today - 7 * DAY).isoformat())
    page.click("#notice-form button.btn-primary")
    page.wait_for_load_state()
    error = page.inner_text(".alert-danger")
    assert "公示开始日期不符合要求" in error and "不能早于上一步“县级审批”" in error, error
    shot(page, "backdate-refused")
    assert not Notice.objects.filter(level="county").exists() and Case.objects.get().state == "county_approved"

    # 2. dated three days back (the day of approval): published, but its 5 days run from today
    page.fill("input[name=start_date]", (today - 3 * DAY).isoformat())
    page.click("#notice-form button.btn-primary")
    page.wait_for_url(re.compile(r".*/renovation/notices/\d+/$"))
    notice = Notice.objects.get(level="county")
    assert notice.counted_from == today and notice.end_date == today + 4 * DAY
    counted = page.inner_text("#notice-counted")
    assert f"{today.year}年{today.month}月{today.day}日" in counted and "起算" in counted
    assert "公示中" in page.inner_text("body") and "已期满" not in page.inner_text("body")
    shot(page, "backdate-counted-from-today")

    # 3. the agreement is refused until the real 5 days are over
    page.goto(f"/renovation/cases/{case.pk}/")
    page.click("button[data-action=agree]")
    page.wait_for_load_state()
    end = today + 4 * DAY
    refusal = page.inner_text(".alert-danger")
    assert f"公示期至 {end:%Y年%m月%d日}" in refusal, refusal
    assert Case.objects.get().state == "county_notice"
    shot(page, "backdate-agree-refused")
