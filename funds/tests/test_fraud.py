"""The fraud patterns of issue 12, each planted and each caught before money moves: tried from the page
and the API, refused with a Chinese reason, nothing paid; and a batch says which accepted cases it
left out and why (finding 5)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from audit.models import AuditEvent
from conftest import add_household, make_id
from funds import services
from funds.models import BatchExclusion, DisbursementBatch, Payment
from funds.tests.helpers import api, login
from funds.tests.test_money import return_file, two_accepted  # noqa: F401 (fixture)
from renovation import services as cases
from renovation.models import Case
from renovation.services import open_case
from renovation.tests.fixtures import through_notices


def refused_everywhere(county_user: Any, case: Case, expected: str) -> None:
    """The API (asking for this case) and the page (the county's batch, which may pay others) both refuse the
    case, with the reason: no payment for it."""
    before = Payment.objects.filter(case=case).count()
    response = api(county_user).post(
        "/api/batches/", {"county": "610826", "year": case.year, "cases": [case.pk]}, content_type="application/json"
    )
    assert response.status_code == 400, response.content[:300]
    reasons = {int(r["case"]): r["reason"] for r in response.json()["skipped"]}  # a 400 body holds text
    assert case.pk in reasons, response.json()
    assert expected in reasons[case.pk]
    shown = login("sd_county").post("/funds/batches/", {"year": case.year, "stage": "final"}, follow=True).content.decode()
    assert expected in shown  # in the message, or in the new batch's list of cases left out
    assert Payment.objects.filter(case=case).count() == before


def pay(county_user: Any, checker: Any, case: Case, tmp_path: Path) -> None:
    """The case through a batch and the bank's return file, confirmed paid."""
    batch = services.build_batch(actor=county_user, county="610826", year=case.year, case_ids=[case.pk]).batch
    assert batch is not None
    services.approve_batch(actor=checker, batch_id=batch.pk)
    services.issue_bank_file(actor=county_user, batch_id=batch.pk)
    services.bank_file(actor=county_user, batch_id=batch.pk, path=tmp_path / "pay.csv")
    lines = list(csv.reader((tmp_path / "pay.csv").open(encoding="utf-8-sig")))[1:]
    back = return_file(tmp_path / "back.csv", [[*line, "成功", ""] for line in lines])
    services.import_return(actor=county_user, batch_id=batch.pk, path=back, original_name="back.csv")
    assert Case.objects.get(pk=case.pk).state == "paid"


def test_a_case_not_accepted_is_not_paid(
    county_user: Any, town_user: Any, village_user: Any, dangerous: Any, craftsman: Any
) -> None:
    dangerous.bank_account = "6230000011112222333"
    dangerous.save()
    case = through_notices(
        open_case(actor=village_user, house_id=dangerous.houses.get().pk), village_user, town_user, county_user
    )
    cases.set_terms(actor=county_user, case_id=case.pk, terms=cases.Terms(mode="repair", build_method="self",
                    subsidy=Decimal(5000), builder_id=craftsman.pk))  # fmt: skip
    response = api(county_user).post(
        "/api/batches/", {"county": "610826", "year": case.year, "cases": [case.pk]}, content_type="application/json"
    )
    assert response.status_code == 400 and "只有已验收的改造户可以拨付" in response.json()["skipped"][0]["reason"]
    shown = login("sd_county").post("/funds/batches/", {"year": case.year, "stage": "final"}, follow=True).content.decode()
    assert "没有可以拨付的改造户" in shown
    assert not Payment.objects.exists() and not DisbursementBatch.objects.exists()


@pytest.mark.parametrize("same_household", [False, True], ids=["second-household", "same-payee-again"])
def test_a_house_is_paid_once(
    two_accepted: list[Case],  # noqa: F811
    county_user: Any,
    checker: Any,
    tmp_path: Path,
    same_household: bool,
) -> None:
    """A second household's case (or the same payee's second case) pointing at a house already paid for."""
    first, second = two_accepted
    pay(county_user, checker, first, tmp_path)
    cases.transition(actor=county_user, case_id=first.pk, action="archive")
    changes: dict[str, Any] = {"house_id": first.house_id}
    if same_household:
        changes["household_id"] = first.household_id
    Case.objects.filter(pk=second.pk).update(**changes)
    expected = "该户已就同一房屋领取过补助" if same_household else "同一房屋已由另一户（户主 郝建国）领取补助"
    refused_everywhere(county_user, second, expected)


def test_a_house_that_is_not_c_or_d_is_not_paid(two_accepted: list[Case], county_user: Any) -> None:  # noqa: F811
    _first, second = two_accepted
    Case.objects.filter(pk=second.pk).update(grade="B")
    refused_everywhere(county_user, second, "不是C级或D级危房")


def test_an_account_shared_by_two_families_is_refused(two_accepted: list[Case], county_user: Any) -> None:  # noqa: F811
    first, second = two_accepted
    other = second.household
    other.bank_account = first.household.bank_account
    other.save()
    refused_everywhere(county_user, second, "与其他 1 户共用")
    refused_everywhere(county_user, first, "与其他 1 户共用")


def test_a_third_household_sharing_the_account_is_caught_even_outside_the_batch(
    two_accepted: list[Case],  # noqa: F811
    county_user: Any,
) -> None:
    """The account is shared with a household that has no case at all: still refused."""
    add_household(county_user, head_id=make_id(seq=990), name="外人", bank_account=two_accepted[0].household.bank_account)
    refused_everywhere(county_user, two_accepted[0], "与其他 1 户共用")


def test_the_batch_shows_every_accepted_case_it_left_out(two_accepted: list[Case], county_user: Any) -> None:  # noqa: F811
    first, second = two_accepted
    household = second.household
    household.bank_account = ""
    household.save()
    made = api(county_user).post("/api/batches/", {"county": "610826", "year": first.year}, content_type="application/json")
    assert made.status_code == 201 and made.json()["count"] == 1
    assert made.json()["skipped"] == [{"case": second.pk, "reason": "该户没有登记“一卡通”账号"}]
    batch = DisbursementBatch.objects.get()
    left = BatchExclusion.objects.get()
    assert (left.batch_id, left.case_id, left.payee_name) == (batch.pk, second.pk, "白彩云")
    page = login("sd_county").get(f"/funds/batches/{batch.pk}/").content.decode()
    assert "未纳入本批次的改造户" in page and "白彩云" in page and "该户没有登记“一卡通”账号" in page
    listed = api(county_user).get(f"/api/batches/{batch.pk}/exclusions/").json()
    assert [(r["case"], r["reason"]) for r in listed["results"]] == [(second.pk, "该户没有登记“一卡通”账号")]
    book = openpyxl.load_workbook(
        io.BytesIO(b"".join(login("sd_county").get(f"/funds/batches/{batch.pk}/list.xlsx").streaming_content))
    )
    rows = list(book["未纳入本批次的改造户"].iter_rows(values_only=True))
    assert rows[1][0] == second.pk and rows[1][1] == "白彩云" and rows[1][3] == "该户没有登记“一卡通”账号"
    assert any(r[1] == "郝建国" for r in book["拨付明细"].iter_rows(values_only=True))


def test_a_draft_that_cannot_be_approved_is_cancelled_and_its_cases_freed(
    two_accepted: list[Case],  # noqa: F811
    county_user: Any,
    checker: Any,
) -> None:
    batch = services.build_batch(actor=county_user, county="610826", year=two_accepted[0].year).batch
    assert batch is not None
    refused = login("sd_county").post(f"/funds/batches/{batch.pk}/cancel/", {"reason": ""}, follow=True).content.decode()
    assert "请写明作废原因" in refused and DisbursementBatch.objects.get().status == "draft"
    api(county_user).post(f"/api/batches/{batch.pk}/cancel/", {"note": "金额核实有误"}, content_type="application/json")
    assert DisbursementBatch.objects.get().status == "cancelled"
    assert set(Payment.objects.values_list("status", flat=True)) == {"cancelled"}
    again = services.build_batch(actor=county_user, county="610826", year=two_accepted[0].year).batch
    assert again is not None and again.count == 2
    assert AuditEvent.objects.filter(verb="funds.cancel", actor_id=county_user.pk).exists()
