"""A renovation case walked in Chromium from application to payment by the users of each level."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from accounts.roles import Role
from conftest import PASSWORD, make_user
from renovation.dates import clock_at
from renovation.models import Case
from renovation.tests.fixtures import appraise, county_standards
from tests.browser.conftest import SHOTS, shot
from tests.browser.test_field import png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = timezone.localdate()


def as_user(page: Any, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def step(page: Any, action: str, on: dt.date | None = None, comment: str = "") -> None:
    form = page.locator(f"form:has(button[data-action={action}])")
    if comment:
        form.locator("input[name=comment]").fill(comment)
    if on is not None:
        form.locator("input[name=on]").fill(on.isoformat())
    form.locator(f"button[data-action={action}]").click()
    page.wait_for_load_state()


def publish(page: Any, start: dt.date) -> None:
    page.goto("/renovation/notices/new/")
    page.fill("input[name=start_date]", start.isoformat())
    page.click("#notice-form button.btn-primary")
    page.wait_for_url(re.compile(r".*/renovation/notices/\d+/$"))


def test_a_case_from_application_to_payment(
    page: Any,
    county_user: Any,
    village_user: Any,
    town_user: Any,
    dangerous: Any,
    craftsman: Any,
    appraiser_user: Any,
    trained_appraiser: Any,
    tmp_path: Path,
) -> None:
    make_user("sd_checker", "610826", Role.COUNTY_STAFF)
    county_standards(TODAY.year)  # the county's subsidy standards, which the agreement is checked against
    dangerous.bank_account = "6230999988887777666"
    dangerous.save()
    start = TODAY - dt.timedelta(days=60)
    # Each level acts on its own day: the server's clock is moved there (renovation.dates.clock_at), as the
    # notice periods and stage gaps are counted from the day a step is entered, never from the date typed.
    # the village: applies for the household and holds the democratic review and the village notice
    with clock_at(start):
        as_user(page, "sd_village")
        page.goto(f"/households/{dangerous.pk}/")
        page.click("text=纳入危房改造")
        page.wait_for_url(re.compile(r".*/renovation/cases/\d+/$"))
        case = Case.objects.get()
        step(page, "village_review", comment="村民代表大会评议通过")
        publish(page, start)
        with page.expect_download() as pdf:
            page.click("#notice-pdf")
    notice_pdf = Path(pdf.value.path()).read_bytes()
    assert notice_pdf.startswith(b"%PDF") and b"/Type /Page" in notice_pdf
    # the town reviews and gives notice, the county approves and gives notice
    with clock_at(start + dt.timedelta(days=10)):
        as_user(page, "sd_town")
        page.goto(f"/renovation/cases/{case.pk}/")
        step(page, "town_review")
        publish(page, start + dt.timedelta(days=10))
    with clock_at(start + dt.timedelta(days=20)):
        as_user(page, "sd_county")
        page.goto(f"/renovation/cases/{case.pk}/")
        step(page, "county_approve")
        publish(page, start + dt.timedelta(days=20))
    with clock_at(start + dt.timedelta(days=40)):  # after the craftsman's training (25 days ago)
        as_user(page, "sd_county")
        page.goto(f"/renovation/cases/{case.pk}/")
        page.select_option("#case-terms select[name=mode]", "repair")
        page.select_option("#case-terms select[name=build_method]", "self")
        page.select_option("#case-terms select[name=builder]", str(craftsman.pk))
        page.fill("#case-terms input[name=subsidy]", "5000")
        page.click("#case-terms button")
        step(page, "agree")
        assert "已签改造协议" in page.inner_text("#case-state")
    # the town records construction with photos, each stage on its day
    for part, action, on in (
        ("before", "start", start + dt.timedelta(days=42)),
        ("after", "complete", start + dt.timedelta(days=52)),
    ):
        with clock_at(on):
            as_user(page, "sd_town")
            page.goto(f"/renovation/cases/{case.pk}/")
            page.select_option("#case-photos select[name=part]", part)
            page.set_input_files("#case-photos input[type=file]", str(png(tmp_path / f"{part}.png", 320, 240)))
            page.click("#case-photos button")
            assert "无定位" in page.inner_text("#case-photos")  # a web upload is no located evidence (ADR 0026)
            page.select_option("#override-form select[name=part]", part)
            page.fill("#override-form input[name=reason]", "演示：照片由网页补传，乡镇干部已现场核实")
            page.click("#override-form button")
            step(page, action, on=on)
    assert "已竣工" in page.inner_text("#case-state")
    assert "竣工后照片例外" in page.inner_text("#evidence-overrides")
    page.locator("#case-photos").screenshot(path=str(SHOTS / "case-photos-evidence.png"))
    # re-appraised B after completion; the county accepts with the checklist
    appraise(appraiser_user, trained_appraiser, dangerous, "B", TODAY - dt.timedelta(days=2))
    as_user(page, "sd_county")
    page.goto(f"/renovation/cases/{case.pk}/")
    for radio in page.locator("#case-acceptance input[value=ok]").all():
        radio.check()
    page.fill("#case-acceptance input[name=inspectors]", "县乡验收组")
    page.fill("#case-acceptance input[name=household_signatory]", dangerous.head_name)
    page.check("#case-acceptance input[name=household_agrees]")
    page.click("#case-acceptance button")
    assert "已验收" in page.inner_text("#case-state")
    shot(page, "renovation-case")
    # funds: the county makes a batch, another person approves, the bank file goes out and the return comes back
    page.goto(f"/funds/?year={case.year}")
    page.click("#batch-form button")
    page.wait_for_url(re.compile(r".*/funds/batches/\d+/$"))
    batch_url = page.url
    as_user(page, "sd_checker")
    page.goto(batch_url)
    page.click("#approve")
    as_user(page, "sd_county")
    page.goto(batch_url)
    page.click("#issue-bank-file")
    assert "已交银行" in page.inner_text("#batch-status")
    with page.expect_download() as sent:
        page.click("text=银行文件 .csv")
    lines = list(csv.reader(io.StringIO(Path(sent.value.path()).read_text(encoding="utf-8-sig"))))
    back = tmp_path / "回盘.csv"
    with back.open("w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow([*lines[0], "处理结果", "失败原因"])
        writer.writerow([*lines[1], "成功", ""])
    page.set_input_files("input[name=file]", str(back))
    page.click("text=导入银行回盘")
    page.wait_for_load_state()
    assert "到账 1 笔" in page.inner_text("body")
    shot(page, "funds-batch")
    page.goto(f"/renovation/cases/{case.pk}/")
    assert "补助已拨付" in page.inner_text("#case-state")
    actions = list(Case.objects.get().events.values_list("action", flat=True))
    assert actions[:3] == ["open", "village_review", "village_notice"] and actions[-2:] == ["accept", "pay"]
