"""The subsidy rule against domain 7.4 and issue 12, from a standards table written out here.

Subsidy standards are set per year × region × household category × grade or mode, each with its
source document (the seeds' county in 2021: C 5,000 yuan, D 25,000 yuan; a turnkey house 40,000).
The most specific standard applies; an amount above it is refused unless an exception was approved
for that case and mode, and then only up to the approved amount; a case no standard covers is
refused, never guessed. Standards and cases are built in memory, so each rule is judged alone.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from funds.models import SubsidyException, SubsidyStandard
from funds.standards import Exceptions, problem, request_exception, standard_for
from funds.tests.test_standards import approved_c  # noqa: F401  (fixture)
from renovation.models import Case

DOC = "绥住建发〔2021〕8号"
COUNTY, TOWN, VILLAGE = "610826", "610826100", "610826100201"
OTHER_VILLAGE_OF_COUNTY = "610826101200"


def standard(pk: int, amount: str, *, year: int = 2021, prefix: str = COUNTY, grade: str = "", mode: str = "",
             category: str = "", doc: str = DOC) -> Any:  # fmt: skip
    return SubsidyStandard(pk=pk, year=year, region_prefix=prefix, grade=grade, mode=mode, category=category,
                           amount=Decimal(amount), source_document=doc)  # fmt: skip


C_COUNTY = standard(1, "5000.00", grade="C")
D_COUNTY = standard(2, "25000.00", grade="D")
TURNKEY = standard(3, "40000.00", mode="turnkey")
C_PROVINCE = standard(4, "3500.00", prefix="61", grade="C", doc="陕建发〔2021〕1号")
C_TOWN = standard(5, "6000.00", prefix=TOWN, grade="C", doc="名州镇〔2021〕2号")
C_NEXT_YEAR = standard(6, "7000.00", year=2022, grade="C", doc="绥住建发〔2022〕3号")
C_LOW_INCOME = standard(7, "5500.00", grade="C", category="minimum_income", doc="绥民发〔2021〕4号")
TABLE = [C_COUNTY, D_COUNTY, TURNKEY, C_PROVINCE, C_TOWN, C_NEXT_YEAR, C_LOW_INCOME]


def case(region: str = OTHER_VILLAGE_OF_COUNTY, grade: str = "C", mode: str = "repair", year: int = 2021) -> Any:
    return SimpleNamespace(pk=10, year=year, region_code=region, grade=grade, mode=mode)


def applies(subject: Any, categories: set[str] | None = None, **kwargs: Any) -> Any:
    return standard_for(subject, standards=TABLE, categories=categories or set(), **kwargs)


def test_the_county_standard_of_the_grade_applies() -> None:
    assert applies(case()) is C_COUNTY
    assert applies(case(grade="D", mode="rebuild_onsite")) is D_COUNTY


def test_a_longer_region_code_is_more_specific() -> None:
    assert applies(case(region=VILLAGE)) is C_TOWN  # the town's own standard beats the county's and the province's
    assert applies(case(region="610827001245")) is C_PROVINCE  # another county: the province's


def test_the_year_of_the_case_decides_unless_another_is_asked() -> None:
    assert applies(case(year=2022)) is C_NEXT_YEAR
    assert applies(case(), on_year=2022) is C_NEXT_YEAR
    assert applies(case(year=2023)) is None


def test_a_standard_for_the_household_category_is_more_specific() -> None:
    assert applies(case(), {"minimum_income"}) is C_LOW_INCOME
    assert applies(case(), {"disabled"}) is C_COUNTY


def test_the_mode_being_agreed_counts_before_it_is_stored() -> None:
    assert applies(case(grade="D", mode=""), mode="turnkey") is TURNKEY
    assert applies(case(grade="D", mode="turnkey")) is TURNKEY
    assert applies(case(grade="B", mode="")) is None


def test_of_equally_specific_standards_the_one_saved_last_applies() -> None:
    later = standard(9, "5200.00", grade="C", doc="绥住建发〔2021〕15号")
    assert standard_for(case(), standards=[C_COUNTY, later], categories=set()) is later
    assert standard_for(case(), standards=[later, C_COUNTY], categories=set()) is later


NONE = Exceptions({}, set())


def refused(amount: str | None, subject: Any = None, exceptions: Any = NONE, **kwargs: Any) -> str | None:
    value = None if amount is None else Decimal(amount)
    got = problem(subject or case(), value, standards=TABLE, categories=set(), exceptions=exceptions, **kwargs)
    return None if got is None else str(got)


ABOVE = "补助金额 %s 元超过适用标准 %s 元（依据：%s）；超出标准须申请超标准补助，写明理由和文号，并经县级另一人批准。"


def test_the_standard_and_less_are_allowed() -> None:
    assert refused("5000.00") is None
    assert refused("4999.99") is None
    assert refused("0") is None  # a guarantee route (living with relatives) needs no money


def test_above_the_standard_is_refused_with_the_standard_and_its_document() -> None:
    assert refused("999999.00") == ABOVE % ("999999.00", "5000.00", DOC)
    assert refused("5000.01") == ABOVE % ("5000.01", "5000.00", DOC)
    assert refused("40000.01", case(grade="D", mode="turnkey")) == ABOVE % ("40000.01", "40000.00", DOC)
    assert refused("40000.00", case(grade="D", mode="turnkey")) is None


def test_no_amount_is_refused() -> None:
    assert refused(None) == "未确定补助金额"


def test_a_case_no_standard_covers_is_refused_not_guessed() -> None:
    assert refused("5000.00", case(year=2023)) == (
        "未找到该户适用的补助标准（2023年、区划 610826、C级、维修加固），须先由县级登记补助标准，不能凭估计确定或拨付补助。"
    )
    assert refused("1.00", case(grade="B", mode="")) == (
        "未找到该户适用的补助标准（2021年、区划 610826、B级、改造方式未定），须先由县级登记补助标准，不能凭估计确定或拨付补助。"
    )


def test_an_approved_exception_raises_the_ceiling_to_its_amount_only() -> None:
    approved = Exceptions({(10, "repair"): Decimal("8000.00")}, set())
    assert refused("8000.00", exceptions=approved) is None
    assert refused("8000.01", exceptions=approved) == "补助金额 8000.01 元超过已批准的超标准补助 8000.00 元。"
    other_case = Exceptions({(11, "repair"): Decimal("8000.00")}, set())
    assert refused("6000.00", exceptions=other_case) == ABOVE % ("6000.00", "5000.00", DOC)
    other_mode = Exceptions({(10, "rebuild_onsite"): Decimal("8000.00")}, set())
    assert refused("6000.00", exceptions=other_mode) == ABOVE % ("6000.00", "5000.00", DOC)


def test_a_pending_exception_does_not_raise_the_ceiling() -> None:
    pending = Exceptions({}, {10})
    assert refused("6000.00", exceptions=pending) == (
        f"补助金额 6000.00 元超过适用标准 5000.00 元（依据：{DOC}），超标准补助申请尚待县级审批。"
    )
    assert refused("5000.00", exceptions=pending) is None


# --- asking for an exception, as a dishonest official would --------------------------------------------


def nothing_asked() -> bool:
    return not SubsidyException.objects.exists() and not AuditEvent.objects.filter(verb="funds.exception_request").exists()


def test_an_exception_is_asked_with_a_reason_and_a_document_by_the_county(
    approved_c: Any,  # noqa: F811
    county_user: Any,
    town_user: Any,
    neighbour_user: Any,
) -> None:
    ask = {"case_id": approved_c.pk, "amount": Decimal("6500"), "mode": "repair"}
    with pytest.raises(ValidationError) as refused:
        request_exception(actor=county_user, **ask, reason=" ", document_no="")
    assert refused.value.message_dict == {"reason": ["请写明超标准补助的理由。"], "document_no": ["请填写超标准补助的依据文号。"]}
    with pytest.raises(PermissionDenied) as denied:
        request_exception(actor=town_user, **ask, reason="理由", document_no="文号")
    assert str(denied.value) == "您的角色无权进行此操作。"
    for outsider, case_id in ((neighbour_user, approved_c.pk), (county_user, approved_c.pk + 999)):
        with pytest.raises(ValidationError) as refused:
            request_exception(actor=outsider, **{**ask, "case_id": case_id}, reason="理由", document_no="文号")
        assert refused.value.messages == ["找不到该改造户，或不在您的管辖范围内。"]
    with pytest.raises(ValidationError) as refused:
        request_exception(actor=county_user, **{**ask, "mode": ""}, reason="理由", document_no="文号")
    assert refused.value.message_dict == {"mode": ["请选择超标准补助所对应的改造方式。"]}
    assert nothing_asked()


@pytest.mark.parametrize("state", ["paid", "archived", "rejected"])
def test_no_exception_for_a_case_paid_archived_or_refused(approved_c: Any, county_user: Any, state: str) -> None:  # noqa: F811
    Case.objects.filter(pk=approved_c.pk).update(state=state)
    with pytest.raises(ValidationError) as refused:
        request_exception(actor=county_user, case_id=approved_c.pk, amount=Decimal("6500"), mode="repair", reason="理由",
                          document_no="文号")  # fmt: skip
    assert refused.value.messages == ["该改造户已拨付、归档或未通过审批，不能再申请超标准补助。"]
    assert nothing_asked()


def test_no_exception_where_no_standard_applies(approved_c: Any, county_user: Any) -> None:  # noqa: F811
    SubsidyStandard.objects.all().delete()
    with pytest.raises(ValidationError) as refused:
        request_exception(actor=county_user, case_id=approved_c.pk, amount=Decimal("6500"), mode="repair", reason="理由",
                          document_no="文号")  # fmt: skip
    assert refused.value.messages == [
        f"未找到该户适用的补助标准（{approved_c.year}年、区划 610826、C级、维修加固），须先登记补助标准。"
    ]
    assert nothing_asked()


def test_an_exception_for_the_case_s_own_mode(approved_c: Any, county_user: Any) -> None:  # noqa: F811
    Case.objects.filter(pk=approved_c.pk).update(mode="repair")
    asked = request_exception(actor=county_user, case_id=approved_c.pk, amount=Decimal("6500"), reason=" 墙体裂缝加固量大 ",
                              document_no=" 绥政发〔2026〕3号 ")  # fmt: skip
    assert (asked.mode, asked.amount, asked.reason, asked.document_no, asked.state) == (
        "repair", Decimal("6500.00"), "墙体裂缝加固量大", "绥政发〔2026〕3号", "pending",
    )  # fmt: skip
    assert AuditEvent.objects.filter(verb="funds.exception_request", actor_id=county_user.pk).count() == 1


def test_the_second_person_decides_and_the_decision_is_kept(
    approved_c: Any,  # noqa: F811
    county_user: Any,
    checker: Any,
    neighbour_user: Any,
) -> None:
    from funds.standards import decide_exception

    asked = request_exception(actor=county_user, case_id=approved_c.pk, amount=Decimal("6500"), mode="repair",
                              reason="墙体裂缝加固量大", document_no="绥政发〔2026〕3号")  # fmt: skip
    for outsider, exception_id in ((neighbour_user, asked.pk), (checker, asked.pk + 999)):
        with pytest.raises(ValidationError) as refused:
            decide_exception(actor=outsider, exception_id=exception_id, approve=True, note="同意")
        assert refused.value.messages == ["找不到该超标准补助申请，或不在您的管辖范围内。"]
    with pytest.raises(ValidationError) as refused:
        decide_exception(actor=checker, exception_id=asked.pk, approve=False, note="  ")
    assert refused.value.message_dict == {"note": ["不批准须写明意见。"]}
    assert SubsidyException.objects.get(pk=asked.pk).state == "pending"
    assert not AuditEvent.objects.filter(verb__in=["funds.exception_approve", "funds.exception_refuse"]).exists()
    decide_exception(actor=checker, exception_id=asked.pk, approve=True, note=" 同意 ")
    kept = SubsidyException.objects.get(pk=asked.pk)
    assert (kept.state, kept.decided_by_id, kept.decision_note) == ("approved", checker.pk, "同意")
    assert kept.decided_at is not None
    event = AuditEvent.objects.get(verb="funds.exception_approve")
    assert (event.actor_id, event.object_id, event.region_code) == (checker.pk, str(asked.pk), approved_c.region_code)
    assert event.object_label.endswith("户")
    assert event.before == {"state": "pending"}
    assert event.after is not None and (event.after["state"], event.after["note"]) == ("approved", "同意")
    assert Decimal(str(event.after["amount"])) == Decimal("6500.00")
