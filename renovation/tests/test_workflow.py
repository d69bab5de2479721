from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from conftest import add_household, make_id
from renovation import notices, rules, services, workflow
from renovation.dates import clock_at
from renovation.models import Case, CaseEvent
from renovation.tests.fixtures import LONG_AGO, TODAY, agreed_repair, appraise, photo, through_notices


def test_eligibility_refuses_with_every_reason(
    county_user: Any, appraiser_user: Any, trained_appraiser: Any, dangerous: Any
) -> None:
    general = add_household(county_user, head_id=make_id(seq=301), name="白一般")
    general.is_key_group = False
    general.save(update_fields=["is_key_group"])
    appraise(appraiser_user, trained_appraiser, general, "B", LONG_AGO)
    with pytest.raises(ValidationError) as err:
        services.open_case(actor=county_user, house_id=general.houses.get().pk)
    assert "不是农村低收入群体等重点对象" in str(err.value) and "只有 C 级、D 级危房可以改造" in str(err.value)
    case = services.open_case(actor=county_user, house_id=dangerous.houses.get().pk)
    assert (case.state, case.grade) == ("application", "C")
    with pytest.raises(ValidationError, match="已有办理中的改造"):
        services.open_case(actor=county_user, house_id=dangerous.houses.get().pk)


def test_deadline_follows_the_appraisal_half_year() -> None:
    assert workflow.deadline_for(dt.date(2026, 3, 9)) == dt.date(2026, 11, 30)
    assert workflow.deadline_for(dt.date(2026, 6, 30)) == dt.date(2026, 11, 30)
    assert workflow.deadline_for(dt.date(2026, 7, 1)) == dt.date(2027, 5, 31)


def test_each_step_needs_its_role_and_level_and_refusals_change_nothing(
    county_user: Any, town_user: Any, village_user: Any, dangerous: Any
) -> None:
    case = services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    for actor, reason in ((county_user, "须由村级办理"), (town_user, "须由村级办理")):
        with pytest.raises(ValidationError, match=reason):
            services.transition(actor=actor, case_id=case.pk, action="village_review")
    with pytest.raises(ValidationError, match="当前状态为“农户申请”，不能进行“乡镇审核”"):
        services.transition(actor=town_user, case_id=case.pk, action="town_review")
    with pytest.raises(ValidationError, match="须写明理由"):
        services.transition(actor=village_user, case_id=case.pk, action="reject")
    case.refresh_from_db()
    assert case.state == "application" and case.version == 1 and CaseEvent.objects.filter(case=case).count() == 1


def test_notice_period_and_objection_hold_the_case(county_user: Any, town_user: Any, village_user: Any, dangerous: Any) -> None:
    case = services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    services.transition(actor=village_user, case_id=case.pk, action="village_review")
    with pytest.raises(ValidationError, match="公示期不少于 7 天"):
        notices.publish(
            actor=village_user,
            level="village",
            scope=case.region_code,
            case_ids=[case.pk],
            start_date=TODAY,
            end_date=TODAY + dt.timedelta(days=3),
        )
    notice = notices.publish(actor=village_user, level="village", scope=case.region_code, case_ids=[case.pk], start_date=TODAY)
    assert notice.end_date == TODAY + dt.timedelta(days=6) and notice.hotline == "12345"
    with pytest.raises(ValidationError, match="公示期满后才能进行下一步"):
        services.transition(actor=town_user, case_id=case.pk, action="town_review")
    with pytest.raises(ValidationError, match="不能早于公示张贴之日") as refused:  # a back-dated objection
        notices.record_objection(
            actor=village_user, case_id=case.pk, content="该户在县城有商品房", received_on=TODAY - dt.timedelta(days=1)
        )
    assert "received_on" in refused.value.message_dict
    assert not Case.objects.get(pk=case.pk).on_hold and not case.objections.exists()
    objection = notices.record_objection(actor=village_user, case_id=case.pk, content="该户在县城有商品房")
    after = TODAY + dt.timedelta(days=7)  # the 7 days are over (the server's clock is moved there)
    with clock_at(after), pytest.raises(ValidationError, match="未处理的异议"):
        services.transition(actor=town_user, case_id=case.pk, action="town_review")
    notices.resolve_objection(
        actor=town_user, objection_id=objection.pk, resolution="经核实为其子女购房，户籍不在一起", upheld=False
    )
    with clock_at(after):
        assert services.transition(actor=town_user, case_id=case.pk, action="town_review").state == "town_reviewed"
    actions = list(case.events.values_list("action", flat=True))
    assert actions == ["open", "village_review", "village_notice", "village_hold", "village_release", "town_review"]


def test_upheld_objection_refuses_the_case(town_user: Any, village_user: Any, dangerous: Any) -> None:
    case = services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    services.transition(actor=village_user, case_id=case.pk, action="village_review")
    notices.publish(actor=village_user, level="village", scope=case.region_code, case_ids=[case.pk], start_date=TODAY)
    objection = notices.record_objection(actor=village_user, case_id=case.pk, content="户主已有安全住房")
    notices.resolve_objection(actor=town_user, objection_id=objection.pk, resolution="核实属实", upheld=True)
    case.refresh_from_db()
    assert case.state == "rejected" and "公示异议成立" in case.events.last().comment  # type: ignore[union-attr]


def test_return_goes_back_to_the_village_with_the_reason(
    county_user: Any, town_user: Any, village_user: Any, dangerous: Any
) -> None:
    case = through_notices(
        services.open_case(actor=village_user, house_id=dangerous.houses.get().pk), village_user, town_user, county_user
    )
    back = services.transition(actor=county_user, case_id=case.pk, action="return", comment="家庭人口与户籍不符，请核实")
    assert back.state == "application" and back.events.last().comment == "家庭人口与户籍不符，请核实"  # type: ignore[union-attr]


def test_a_repair_case_from_application_to_acceptance(
    county_user: Any,
    town_user: Any,
    village_user: Any,
    dangerous: Any,
    craftsman: Any,
    appraiser_user: Any,
    trained_appraiser: Any,
) -> None:
    case = through_notices(
        services.open_case(actor=village_user, house_id=dangerous.houses.get().pk), village_user, town_user, county_user
    )
    assert case.state == "county_notice"
    with pytest.raises(ValidationError, match="请先填写改造方式和补助金额"):
        services.transition(actor=county_user, case_id=case.pk, action="agree")
    with clock_at(TODAY - dt.timedelta(days=15)):
        case = agreed_repair(case, county_user, craftsman)
    with clock_at(TODAY - dt.timedelta(days=14)):
        with pytest.raises(ValidationError, match="请先上传施工前照片"):
            services.transition(actor=town_user, case_id=case.pk, action="start")
        photo(town_user, case, "before")
        services.transition(actor=village_user, case_id=case.pk, action="start")
    with clock_at(TODAY - dt.timedelta(days=8)):
        photo(town_user, case, "after")
        with pytest.raises(ValidationError, match="不足 7 天"):
            services.transition(actor=town_user, case_id=case.pk, action="complete")
    with clock_at(TODAY - dt.timedelta(days=5)):
        services.transition(actor=town_user, case_id=case.pk, action="complete")
    checklist = dict.fromkeys(services.ACCEPTANCE_ITEMS, "ok") | {"layout": "na"}
    accept = services.AcceptanceInput(
        checklist=checklist, household_agrees=True, household_signatory="郝建国", inspectors="高建国、李鉴定", accepted_on=TODAY
    )
    with pytest.raises(ValidationError, match="竣工后须重新鉴定"):
        services.accept(actor=county_user, case_id=case.pk, data=accept)
    appraise(appraiser_user, trained_appraiser, dangerous, "B", TODAY - dt.timedelta(days=2))
    with pytest.raises(ValidationError, match="验收不合格的项目：屋面"):
        services.accept(
            actor=county_user,
            case_id=case.pk,
            data=accept.__class__(**{**accept.__dict__, "checklist": checklist | {"roof": "fail"}}),
        )
    done = services.accept(actor=county_user, case_id=case.pk, data=accept)
    assert done.state == "accepted" and done.acceptance.reappraisal.grade == "B" and done.accepted_on == TODAY
    actions = list(done.events.values_list("action", flat=True))
    assert actions == [
        "open",
        "village_review",
        "village_notice",
        "town_review",
        "town_notice",
        "county_approve",
        "county_notice",
        "agree",
        "start",
        "complete",
        "accept",
    ]
    assert AuditEvent.objects.filter(verb="renovation.accept").count() == 1


def test_terms_check_the_area_and_the_builder(
    county_user: Any, town_user: Any, village_user: Any, dangerous: Any, craftsman: Any
) -> None:
    case = through_notices(
        services.open_case(actor=village_user, house_id=dangerous.houses.get().pk), village_user, town_user, county_user
    )
    terms = services.Terms(
        mode="rebuild_onsite", build_method="self", planned_area=Decimal("90"), subsidy=Decimal("25000"), builder_id=craftsman.pk
    )
    with pytest.raises(ValidationError, match=r"3 人户新建住房面积应在 40–60 ㎡ 之间"):
        services.set_terms(actor=county_user, case_id=case.pk, terms=terms)
    terms.planned_area = Decimal("55")
    assert services.set_terms(actor=county_user, case_id=case.pk, terms=terms).mode == "rebuild_onsite"
    relatives = services.Terms(mode="relatives", subsidy=Decimal("0"))
    with pytest.raises(ValidationError, match="须写明证明材料"):
        services.set_terms(actor=county_user, case_id=case.pk, terms=relatives)


def test_area_rule() -> None:
    assert rules.check_area(1, Decimal("20")) is None and rules.check_area(1, Decimal("19")) is not None
    assert rules.check_area(5, Decimal("90")) is None and rules.check_area(5, Decimal("91")) is not None


def test_batch_moves_each_case_or_says_why(
    county_user: Any, village_user: Any, dangerous: Any, appraiser_user: Any, trained_appraiser: Any
) -> None:
    other = add_household(county_user, head_id=make_id(seq=302), name="贺二")
    appraise(appraiser_user, trained_appraiser, other, "D", LONG_AGO)
    first = services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    second = services.open_case(actor=village_user, house_id=other.houses.get().pk)
    services.transition(actor=village_user, case_id=second.pk, action="village_review")
    result = services.transition_many(actor=village_user, case_ids=[first.pk, second.pk], action="village_review")
    assert result.moved == [first.pk] and "不能进行" in result.refused[second.pk]
    assert Case.objects.get(pk=first.pk).events.last().batch is not None  # type: ignore[union-attr]


def test_a_guarantee_route_needs_evidence_and_no_construction(
    county_user: Any, town_user: Any, village_user: Any, dangerous: Any
) -> None:
    case = through_notices(
        services.open_case(actor=village_user, house_id=dangerous.houses.get().pk), village_user, town_user, county_user
    )
    terms = services.Terms(mode="relatives", subsidy=Decimal("0"), guarantee_evidence="投靠儿子，已签赡养协议并迁入")
    services.set_terms(actor=county_user, case_id=case.pk, terms=terms)
    services.transition(actor=county_user, case_id=case.pk, action="agree")
    with pytest.raises(ValidationError, match="无需施工"):
        services.transition(actor=town_user, case_id=case.pk, action="start")
    done = services.transition(actor=county_user, case_id=case.pk, action="confirm_guarantee", comment="已入住")
    assert done.state == "accepted" and done.accepted_on == TODAY


def test_demo_spreads_cases_over_the_workflow_through_the_services(county_user: Any) -> None:
    from accounts.roles import Role
    from conftest import make_user
    from households.demo import generate as households
    from inspections.demo import generate as inspections
    from renovation.demo import generate

    make_user("sd_appraiser", "610826", Role.APPRAISER)
    households(county="610826", count=600, seed=3)
    inspections(county="610826", share=0.9, suspect_share=0.3, seed=3)
    made = generate(county="610826")
    states = set(Case.objects.values_list("state", flat=True))
    assert made == Case.objects.count() > 0 and "application" in states and len(states) >= 4
    assert generate(county="610826") == 0


def test_the_bank_may_pay_accepted_repairs_and_demolished_new_builds_only(village_user: Any, dangerous: Any) -> None:
    """Domain 7.1 steps 8–9 (应拆尽拆): `payable` (the bank return's query) and `paid_ready` (one case) agree."""
    case = services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    one = Case.objects.filter(pk=case.pk)
    table = [  # state, mode, may the bank's confirmation pay it
        ("accepted", "repair", True),
        ("demolished", "rebuild_onsite", True),
        ("demolished", "turnkey", True),
        ("accepted", "rebuild_onsite", False),
        ("accepted", "rebuild_elsewhere", False),
        ("accepted", "group_build", False),
        ("accepted", "turnkey", False),
        ("completed", "repair", False),
        ("paid", "repair", False),
        ("archived", "repair", False),
    ]
    for state, mode, payable in table:
        one.update(state=state, mode=mode)
        assert workflow.payable(one).exists() is payable, (state, mode)
        assert (workflow.paid_ready(one.get()) is None) is payable, (state, mode)
