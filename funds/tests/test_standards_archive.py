"""The subsidy rule read from the archive (domain 7.4): a standard set for a household category applies
to the households holding that category today (read from the archive when the caller does not pass it),
`check_subsidy` refuses on the agreement's subsidy field, and an exception request keeps exactly what
was asked and audits it. Companion of test_standards_standard.py (which judges the rule in memory)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from funds.models import SubsidyException, SubsidyStandard
from funds.standards import categories_of, check_subsidy, request_exception, standard_for
from funds.tests.test_standards import approved_c  # noqa: F401  (fixture)
from households.models import HouseholdCategory
from renovation.models import Case

YEAR_DOC = "绥民发〔2026〕4号"


def low_income_standard(year: int, amount: str = "5500") -> SubsidyStandard:
    """The county's own standard for C repairs of 低保 households (the fixtures' household is 低保)."""
    return SubsidyStandard.objects.create(year=year, region_prefix="610826", grade="C", category="minimum_income",
                                          amount=Decimal(amount), source_document=YEAR_DOC)  # fmt: skip


def test_a_category_standard_applies_to_a_household_holding_it_today(approved_c: Case) -> None:  # noqa: F811
    county = SubsidyStandard.objects.get(year=approved_c.year, region_prefix="610826", grade="C", category="")
    low = low_income_standard(approved_c.year)
    SubsidyStandard.objects.create(year=approved_c.year, region_prefix="610826", grade="C", category="extreme_poverty",
                                   amount=Decimal("9000"), source_document="别的类别")  # fmt: skip
    assert standard_for(approved_c, mode="repair") == low  # the household's categories are read from the archive
    assert standard_for(approved_c, mode="repair", categories=set()) == county  # told it holds none
    HouseholdCategory.objects.filter(household=approved_c.household_id).update(end_date=dt.date(2025, 12, 31))
    assert standard_for(approved_c, mode="repair") == county  # a category that has ended no longer counts


def test_another_year_s_category_standard_does_not_apply(approved_c: Case) -> None:  # noqa: F811
    low_income_standard(approved_c.year + 1, "9999")
    county = SubsidyStandard.objects.get(year=approved_c.year, region_prefix="610826", grade="C", category="")
    assert standard_for(approved_c, mode="repair") == county
    assert standard_for(approved_c, on_year=approved_c.year + 1, mode="repair").amount == Decimal("9999")


def test_check_subsidy_refuses_on_the_subsidy_field_only_above_the_standard(approved_c: Case) -> None:  # noqa: F811
    check_subsidy(approved_c, Decimal("5000"), mode="repair")  # the standard itself is allowed
    check_subsidy(approved_c, Decimal("0"), mode="relatives")  # a guarantee route needs no money
    with pytest.raises(ValidationError) as refused:
        check_subsidy(approved_c, Decimal("5000.01"), mode="repair")
    assert list(refused.value.message_dict) == ["subsidy"]
    assert "超过适用标准 5000.00 元" in refused.value.message_dict["subsidy"][0]
    with pytest.raises(ValidationError) as refused:
        check_subsidy(approved_c, None, mode="repair")
    assert refused.value.message_dict == {"subsidy": ["未确定补助金额"]}


def test_categories_of_many_households_are_their_current_categories(approved_c: Case, county_user: Any) -> None:  # noqa: F811
    from conftest import add_household, make_id

    other = add_household(county_user, head_id=make_id(seq=777), name="王秀英")
    HouseholdCategory.objects.create(household=other, region_code=other.region_code, code="disabled")
    HouseholdCategory.objects.create(household=other, region_code=other.region_code, code="extreme_poverty",
                                     start_date=dt.date(2020, 1, 1), end_date=dt.date(2024, 1, 1))  # fmt: skip
    found = categories_of([approved_c.household_id, other.pk, other.pk + 999])
    assert found == {approved_c.household_id: {"minimum_income"}, other.pk: {"minimum_income", "disabled"}}


def test_an_exception_request_keeps_what_was_asked_and_audits_it(approved_c: Case, county_user: Any) -> None:  # noqa: F811
    reason, document = "墙" * 310, "文" * 110
    asked = request_exception(actor=county_user, case_id=approved_c.pk, amount=Decimal("6500.456"), mode="repair",
                              reason=f"  {reason}  ", document_no=f" {document} ")  # fmt: skip
    kept = SubsidyException.objects.get(pk=asked.pk)
    assert (kept.case_id, kept.region_code, kept.mode, kept.state) == (approved_c.pk, approved_c.region_code, "repair", "pending")
    assert (kept.amount, kept.standard_amount) == (Decimal("6500.46"), Decimal("5000.00"))
    assert (kept.reason, kept.document_no, kept.requested_by_id) == ("墙" * 300, "文" * 100, county_user.pk)
    event = AuditEvent.objects.get(verb="funds.exception_request")
    assert (event.actor_id, event.object_id, event.region_code) == (county_user.pk, str(kept.pk), approved_c.region_code)
    assert event.object_label == f"{approved_c.household.head_name}户"
    after = event.after
    assert after is not None and set(after) == {"mode", "amount", "standard", "reason", "document_no"}
    assert (after["mode"], after["reason"], after["document_no"]) == ("repair", "墙" * 300, "文" * 100)
    assert Decimal(str(after["amount"])) == Decimal("6500.46") and Decimal(str(after["standard"])) == Decimal("5000.00")


def test_no_exception_is_needed_up_to_the_standard_and_one_waits_at_a_time(approved_c: Case, county_user: Any) -> None:  # noqa: F811
    ask = {"actor": county_user, "case_id": approved_c.pk, "mode": "repair", "reason": "理由", "document_no": "文号"}
    with pytest.raises(ValidationError) as refused:
        request_exception(**ask, amount=Decimal("5000"))
    assert refused.value.message_dict == {"amount": ["申请金额未超过适用标准 5000.00 元，无需申请超标准补助。"]}
    request_exception(**ask, amount=Decimal("5000.01"))
    with pytest.raises(ValidationError) as refused:
        request_exception(**ask, amount=Decimal("7000"))
    assert refused.value.messages == ["该户已有一份超标准补助申请待审批。"]
    assert SubsidyException.objects.count() == 1


def test_the_exceptions_of_a_case_are_its_own_and_the_latest_approval_is_the_ceiling(approved_c: Case) -> None:  # noqa: F811
    from django.utils import timezone

    from funds.standards import Exceptions

    now = timezone.now()
    row = {"case": approved_c, "region_code": approved_c.region_code, "mode": "repair", "reason": "理由", "document_no": "文号"}
    # approved later but saved first: the later decision (7,000) is the ceiling, not the higher id (6,000)
    SubsidyException.objects.create(**row, amount=Decimal("7000"), state="approved", decided_at=now)
    SubsidyException.objects.create(**row, amount=Decimal("6000"), state="approved", decided_at=now - dt.timedelta(days=3))
    SubsidyException.objects.create(**row, amount=Decimal("9000"), state="refused", decided_at=now)
    SubsidyException.objects.create(**{**row, "mode": "rebuild_onsite"}, amount=Decimal("30000"))
    seen = Exceptions.of([approved_c.pk])
    assert seen.approved == {(approved_c.pk, "repair"): Decimal("7000.00")}
    assert seen.pending == {approved_c.pk}  # the case's id, not the request's
    other = Exceptions.of([approved_c.pk + 1000])  # another case knows nothing of this one's exceptions
    assert (other.approved, other.pending) == ({}, set())
