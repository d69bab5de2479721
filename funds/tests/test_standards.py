"""The subsidy against its standard (issue 12, finding 3), tried as a dishonest official would: from the
agreement page, the batch (page and API) and the exception steps. The figures come from the domain
(7.4: one county's 2021 standards, C 5,000 and D 25,000 yuan; turnkey 40,000 in the finding), not
from the module under test."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import Role
from audit.models import AuditEvent
from conftest import add_household, make_id, make_user
from funds import services, standards
from funds.models import DisbursementBatch, Payment, SubsidyException, SubsidyStandard
from funds.tests.helpers import CHINESE, api, login
from renovation import services as cases
from renovation.models import Case
from renovation.services import open_case
from renovation.tests.fixtures import LONG_AGO, accepted_repair, appraise, through_notices

DOC = "绥建发〔2026〕8号"  # the document the test fixture's standards name


@pytest.fixture
def approved_c(county_user: Any, town_user: Any, village_user: Any, dangerous: Any) -> Case:
    """A C house's case approved by the county, its notices over: the agreement may be signed now."""
    case = open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    return through_notices(case, village_user, town_user, county_user)


def d_case(county_user: Any, town_user: Any, village_user: Any, appraiser_user: Any, trainee: Any) -> Case:
    household = add_household(county_user, head_id=make_id(seq=640), name="刘翠兰")
    appraise(appraiser_user, trainee, household, "D", LONG_AGO)
    case = open_case(actor=village_user, house_id=household.houses.get().pk)
    return through_notices(case, village_user, town_user, county_user)


def repair(subsidy: str, craftsman: Any) -> cases.Terms:
    return cases.Terms(mode="repair", build_method="self", subsidy=Decimal(subsidy), builder_id=craftsman.pk)


def test_999999_yuan_for_a_c_repair_is_refused_on_the_page(approved_c: Case, county_user: Any, craftsman: Any) -> None:
    page = login("sd_county")
    events = AuditEvent.objects.count()
    body = {"mode": "repair", "build_method": "self", "subsidy": "999999", "builder": craftsman.pk, "version": approved_c.version}
    shown = page.post(f"/renovation/cases/{approved_c.pk}/terms/", body, follow=True).content.decode()
    assert "超过适用标准 5000.00 元" in shown and DOC in shown
    approved_c.refresh_from_db()
    assert approved_c.subsidy is None and approved_c.mode == ""
    assert not AuditEvent.objects.filter(id__gt=events, verb="renovation.terms").exists()
    body["subsidy"] = "5000"
    page.post(f"/renovation/cases/{approved_c.pk}/terms/", body)
    approved_c.refresh_from_db()
    assert approved_c.subsidy == Decimal("5000.00")


def test_the_standard_itself_and_less_are_allowed(approved_c: Case, county_user: Any, craftsman: Any) -> None:
    assert cases.set_terms(actor=county_user, case_id=approved_c.pk, terms=repair("4999.99", craftsman)).subsidy == Decimal(
        "4999.99"
    )
    assert cases.set_terms(actor=county_user, case_id=approved_c.pk, terms=repair("5000", craftsman)).subsidy == Decimal("5000")
    with pytest.raises(ValidationError, match="超过适用标准"):
        cases.set_terms(actor=county_user, case_id=approved_c.pk, terms=repair("5000.01", craftsman))


def test_turnkey_above_40000_is_refused(
    county_user: Any, town_user: Any, village_user: Any, appraiser_user: Any, trained_appraiser: Any, craftsman: Any
) -> None:
    case = d_case(county_user, town_user, village_user, appraiser_user, trained_appraiser)
    terms = cases.Terms(mode="turnkey", build_method="organised", subsidy=Decimal("41900"), builder_id=craftsman.pk,
                        planned_area=Decimal("50"))  # fmt: skip
    with pytest.raises(ValidationError, match=r"超过适用标准 40000\.00 元"):
        cases.set_terms(actor=county_user, case_id=case.pk, terms=terms)
    assert Case.objects.get(pk=case.pk).subsidy is None
    body = {"mode": "turnkey", "build_method": "organised", "subsidy": "41900", "builder": craftsman.pk, "planned_area": "50",
            "version": case.version}  # fmt: skip
    shown = login("sd_county").post(f"/renovation/cases/{case.pk}/terms/", body, follow=True).content.decode()
    assert "超过适用标准 40000.00 元" in shown and Case.objects.get(pk=case.pk).subsidy is None
    terms.subsidy = Decimal("40000")
    assert cases.set_terms(actor=county_user, case_id=case.pk, terms=terms).subsidy == Decimal("40000")


def test_a_case_with_no_standard_is_refused_not_guessed(approved_c: Case, county_user: Any, craftsman: Any) -> None:
    SubsidyStandard.objects.all().delete()
    with pytest.raises(ValidationError, match="未找到该户适用的补助标准"):
        cases.set_terms(actor=county_user, case_id=approved_c.pk, terms=repair("5000", craftsman))
    # a guarantee route with no money needs no standard
    relatives = cases.Terms(mode="relatives", subsidy=Decimal("0"), guarantee_evidence="投靠儿子，已签赡养协议")
    assert cases.set_terms(actor=county_user, case_id=approved_c.pk, terms=relatives).mode == "relatives"


def test_the_most_specific_standard_applies(approved_c: Case, county_user: Any) -> None:
    """A town's own standard (a longer code prefix) wins over the county's; a neighbour's never applies."""
    SubsidyStandard.objects.create(year=approved_c.year, region_prefix="610826100", grade="C", mode="repair",
                                   amount=Decimal("6000"), source_document="名州镇补充文件")  # fmt: skip
    SubsidyStandard.objects.create(year=approved_c.year, region_prefix="610827", grade="C", mode="repair",
                                   amount=Decimal("90000"), source_document="米脂县文件")  # fmt: skip
    found = standards.standard_for(approved_c, mode="repair")
    assert found is not None and found.amount == Decimal("6000")
    assert standards.problem(approved_c, Decimal("6000"), mode="repair") is None
    assert "6000.00" in (standards.problem(approved_c, Decimal("6001"), mode="repair") or "")


def test_an_exception_needs_a_second_person_at_county_level(
    approved_c: Case, county_user: Any, checker: Any, town_user: Any, craftsman: Any
) -> None:
    ask = {"actor": county_user, "case_id": approved_c.pk, "mode": "repair"}
    with pytest.raises(ValidationError, match="理由"):
        standards.request_exception(**ask, amount=Decimal("6500"), reason="", document_no="")
    with pytest.raises(ValidationError, match="无需申请"):
        standards.request_exception(**ask, amount=Decimal("5000"), reason="x", document_no="y")
    with pytest.raises(ValidationError, match="改造方式"):
        standards.request_exception(**{**ask, "mode": ""}, amount=Decimal("6500"), reason="x", document_no="y")
    exc = standards.request_exception(**ask, amount=Decimal("6500"), reason="墙体裂缝加固量大", document_no="绥政发〔2026〕3号")
    with pytest.raises(ValidationError, match="尚待县级审批"):
        cases.set_terms(actor=county_user, case_id=approved_c.pk, terms=repair("6500", craftsman))
    with pytest.raises(PermissionDenied, match="另一人"):
        standards.decide_exception(actor=county_user, exception_id=exc.pk, approve=True)
    with pytest.raises(PermissionDenied):
        standards.decide_exception(actor=town_user, exception_id=exc.pk, approve=True)
    city = make_user("yl_checker", "6108", Role.COUNTY_STAFF)
    with pytest.raises(PermissionDenied, match="县级"):
        standards.decide_exception(actor=city, exception_id=exc.pk, approve=True)
    assert SubsidyException.objects.get().state == "pending"
    standards.decide_exception(actor=checker, exception_id=exc.pk, approve=True, note="同意")
    assert cases.set_terms(actor=county_user, case_id=approved_c.pk, terms=repair("6500", craftsman)).subsidy == Decimal("6500")
    with pytest.raises(ValidationError, match=r"超过已批准的超标准补助 6500\.00 元"):
        cases.set_terms(actor=county_user, case_id=approved_c.pk, terms=repair("6500.01", craftsman))
    verbs = list(AuditEvent.objects.filter(verb__startswith="funds.exception").order_by("id").values_list("verb", "actor_id"))
    assert verbs == [("funds.exception_request", county_user.pk), ("funds.exception_approve", checker.pk)]
    with pytest.raises(ValidationError, match="已批准"):
        standards.decide_exception(actor=checker, exception_id=exc.pk, approve=False, note="改主意")


def test_a_refusal_needs_a_note_and_leaves_the_standard(approved_c: Case, county_user: Any, checker: Any, craftsman: Any) -> None:
    exc = standards.request_exception(
        actor=county_user, case_id=approved_c.pk, mode="repair", amount=Decimal("9000"), reason="r", document_no="d"
    )
    with pytest.raises(ValidationError, match="意见"):
        standards.decide_exception(actor=checker, exception_id=exc.pk, approve=False)
    standards.decide_exception(actor=checker, exception_id=exc.pk, approve=False, note="无依据")
    with pytest.raises(ValidationError, match="超过适用标准"):
        cases.set_terms(actor=county_user, case_id=approved_c.pk, terms=repair("9000", craftsman))


def test_exceptions_from_the_pages(approved_c: Case, county_user: Any, checker: Any) -> None:
    county, second = login("sd_county"), login("sd_checker")
    body = {"case": approved_c.pk, "mode": "repair", "amount": "7000", "reason": "加固量大", "document_no": "绥政发〔2026〕3号"}
    assert "须由县级另一人审批" in county.post("/funds/exceptions/new/", body, follow=True).content.decode()
    exc = SubsidyException.objects.get()
    own = county.post(f"/funds/exceptions/{exc.pk}/decide/", {"decision": "approve"}, follow=True).content.decode()
    assert "另一人" in own and SubsidyException.objects.get().state == "pending"
    bad = county.post("/funds/exceptions/new/", {**body, "amount": "七千"}, follow=True)
    assert bad.status_code == 200 and "金额须为数字" in bad.content.decode()
    listing = second.get("/funds/exceptions/").content.decode()
    assert "加固量大" in listing and "批准" in listing
    second.post(f"/funds/exceptions/{exc.pk}/decide/", {"decision": "approve", "note": "同意"})
    assert SubsidyException.objects.get().state == "approved"


def test_exceptions_from_the_api(approved_c: Case, county_user: Any, checker: Any) -> None:
    made = api(county_user).post(
        "/api/subsidy-exceptions/",
        {"case": approved_c.pk, "mode": "repair", "amount": "7000", "reason": "加固量大", "document_no": "绥政发〔2026〕3号"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    own = api(county_user).post(f"/api/subsidy-exceptions/{pk}/approve/", {}, content_type="application/json")
    assert own.status_code == 403 and CHINESE.search(own.content.decode())
    assert SubsidyException.objects.get().state == "pending"
    done = api(checker).post(f"/api/subsidy-exceptions/{pk}/approve/", {"note": "同意"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["state"] == "approved"
    bad = api(county_user).post(
        "/api/subsidy-exceptions/", {"case": approved_c.pk, "amount": "x"}, content_type="application/json"
    )
    assert bad.status_code == 400 and CHINESE.search(bad.content.decode())


@pytest.fixture
def accepted(
    county_user: Any, town_user: Any, village_user: Any, craftsman: Any, appraiser_user: Any, trained_appraiser: Any
) -> Case:
    household = add_household(county_user, head_id=make_id(seq=720), name="郝建国", bank_name="陕西信合",
                              bank_account="6230000000000072000")  # fmt: skip
    appraise(appraiser_user, trained_appraiser, household, "C", LONG_AGO)
    case = open_case(actor=village_user, house_id=household.houses.get().pk)
    return accepted_repair(case, village_user, town_user, county_user, craftsman, appraiser_user, trained_appraiser)  # type: ignore[no-any-return]


def test_a_stored_amount_above_the_standard_is_never_paid(accepted: Case, county_user: Any) -> None:
    """999,999 yuan written past the agreement (an old row, a direct edit): the batch refuses it, page and API."""
    Case.objects.filter(pk=accepted.pk).update(subsidy=Decimal("999999"))
    refused = api(county_user).post(
        "/api/batches/", {"county": "610826", "year": accepted.year, "cases": [accepted.pk]}, content_type="application/json"
    )
    assert refused.status_code == 400
    assert "超过适用标准 5000.00 元" in refused.json()["skipped"][0]["reason"]
    shown = login("sd_county").post("/funds/batches/", {"year": accepted.year, "stage": "final"}, follow=True).content.decode()
    assert "超过适用标准 5000.00 元" in shown
    assert not DisbursementBatch.objects.exists() and not Payment.objects.exists()


def test_approval_checks_every_line_again(accepted: Case, county_user: Any, checker: Any) -> None:
    batch = services.build_batch(actor=county_user, county="610826", year=accepted.year).batch
    assert batch is not None and batch.total == Decimal("5000")
    Case.objects.filter(pk=accepted.pk).update(subsidy=Decimal("999999"))
    with pytest.raises(ValidationError, match="超过适用标准"):
        services.approve_batch(actor=checker, batch_id=batch.pk)
    refused = api(checker).post(f"/api/batches/{batch.pk}/approve/", {}, content_type="application/json")
    assert refused.status_code == 400 and "超过适用标准" in refused.content.decode()
    batch.refresh_from_db()
    assert batch.status == "draft" and batch.checked_by is None


def test_advances_and_final_never_exceed_the_subsidy(accepted: Case, county_user: Any, checker: Any) -> None:
    batch = services.build_batch(actor=county_user, county="610826", year=accepted.year).batch
    assert batch is not None
    # an advance of 3,000 booked beside the final 5,000 (a line written past the services)
    Payment.objects.create(batch=batch, case=accepted, household_id=accepted.household_id, region_code=accepted.region_code,
                           stage="advance", amount=Decimal("3000"), reference="AJ-ADVANCE-X", payee_name="郝建国")  # fmt: skip
    with pytest.raises(ValidationError, match=r"合计 8000\.00 元超过补助金额 5000\.00 元"):
        services.approve_batch(actor=checker, batch_id=batch.pk)
    assert DisbursementBatch.objects.get(pk=batch.pk).status == "draft"


def test_a_final_payment_after_an_advance_pays_only_the_rest(accepted: Case, county_user: Any) -> None:
    other = services.build_batch(actor=county_user, county="610826", year=accepted.year, case_ids=[]).batch
    assert other is None
    first = DisbursementBatch.objects.create(region_code="610826000000", year=accepted.year, number=9, name="预拨")
    Payment.objects.create(batch=first, case=accepted, household_id=accepted.household_id, region_code=accepted.region_code,
                           stage="advance", amount=Decimal("6000"), reference="AJ-ADVANCE-Y", payee_name="郝建国")  # fmt: skip
    plan = services.build_batch(actor=county_user, county="610826", year=accepted.year, case_ids=[accepted.pk])
    assert plan.batch is None and "已预拨 6000.00 元，超过补助金额 5000.00 元" in plan.skipped[accepted.pk]
    refused = api(county_user).post(
        "/api/batches/", {"county": "610826", "year": accepted.year, "cases": [accepted.pk]}, content_type="application/json"
    )
    assert refused.status_code == 400 and "已预拨 6000.00 元，超过补助金额 5000.00 元" in refused.content.decode()
    shown = login("sd_county").post("/funds/batches/", {"year": accepted.year, "stage": "final"}, follow=True).content.decode()
    assert "已预拨 6000.00 元，超过补助金额 5000.00 元" in shown
    assert not Payment.objects.filter(case=accepted, stage="final").exists()
