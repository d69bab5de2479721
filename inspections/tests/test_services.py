from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import SUIDE_VILLAGE_2, add_household, make_id
from inspections import selectors, services
from inspections.models import Appraisal, AppraisalTask, HouseSafety, Inspection, InspectionTask
from training.models import PersonKind
from training.services import save_trainee

TODAY = dt.date.today()
CAVE = {"foundation": "a", "roof": "a"}  # a stone cave (conftest) with its walls still to grade


def inspect(actor: Any, household: Any, verdict: str = "safe", **kw: Any) -> tuple[Inspection, bool]:
    data = services.InspectionInput(
        household_id=household.pk, inspected_on=kw.pop("on", TODAY), verdict=verdict, inspector_name="张排查", **kw
    )
    return services.record_inspection(actor=actor, data=data)


def appraise(actor: Any, household: Any, appraisers: list[Any], **kw: Any) -> Appraisal:
    data = services.AppraisalInput(
        house_id=household.houses.get().pk,
        appraised_on=kw.pop("on", TODAY),
        components=kw.pop("components", {"foundation": "a", "walls": "c", "roof": "b"}),
        prevention=kw.pop("prevention", "partly"),
        appraiser_ids=[a.pk for a in appraisers],
        organisation="绥德县住建局",
        **kw,
    )
    return services.record_appraisal(actor=actor, data=data)[0]


def test_campaign_makes_one_task_per_household_in_scope(county_user: Any) -> None:
    a = add_household(county_user)
    add_household(county_user, head_id=make_id(seq=124), village=SUIDE_VILLAGE_2)
    campaign = services.start_campaign(
        actor=county_user, name="2026年度排查", kind="annual", scope="610826100", start_date=TODAY, deadline=TODAY
    )
    assert campaign.task_count == 1  # only the household of 名州镇
    assert InspectionTask.objects.get(campaign=campaign).household_id == a.pk


def test_campaign_scope_checks(county_user: Any, neighbour_user: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.start_campaign(actor=neighbour_user, name="x", kind="annual", scope="610826", start_date=TODAY,
                                deadline=TODAY)  # fmt: skip
    with pytest.raises(PermissionDenied, match="不在您的管辖范围内"):  # the city, above the county user
        services.start_campaign(actor=county_user, name="x", kind="annual", scope="6108", start_date=TODAY, deadline=TODAY)
    with pytest.raises(ValidationError, match="截止日期"):
        services.start_campaign(actor=county_user, name="x", kind="annual", scope="610826", start_date=TODAY,
                                deadline=TODAY - dt.timedelta(days=1))  # fmt: skip


def test_suspect_inspection_closes_the_task_and_asks_for_an_appraisal(county_user: Any) -> None:
    household = add_household(county_user)
    campaign = services.start_campaign(
        actor=county_user, name="回头看", kind="recheck", scope="610826", start_date=TODAY, deadline=TODAY
    )
    inspection, created = inspect(county_user, household, "suspect", risk_parts=["walls"], measure="appraise")
    assert created and inspection.campaign_id == campaign.pk
    assert InspectionTask.objects.get(campaign=campaign).status == "done"
    assert AppraisalTask.objects.get(household=household).status == "pending"
    assert HouseSafety.objects.get(household=household).verdict == "suspect"
    # a second suspect inspection does not add a second pending appraisal task
    inspect(county_user, household, "suspect", risk_parts=["site"], measure="move_out")
    assert AppraisalTask.objects.filter(household=household).count() == 1


def test_same_uid_twice_is_stored_once(county_user: Any) -> None:
    household = add_household(county_user)
    uid = uuid.uuid4()
    first, created = inspect(county_user, household, uid=uid)
    again, created_again = inspect(county_user, household, uid=uid)
    assert created and not created_again and first.pk == again.pk
    assert Inspection.objects.count() == 1


def test_inspection_errors_are_in_chinese(county_user: Any, neighbour_user: Any) -> None:
    household = add_household(county_user)
    with pytest.raises(ValidationError) as err:
        inspect(county_user, household, "suspect")
    assert "须勾选存在隐患的部位" in str(err.value) and "须选择建议措施" in str(err.value)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        inspect(county_user, household, on=TODAY + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="不在您的管辖范围内"):
        inspect(neighbour_user, household)


def test_appraisal_grade_by_the_rules_and_history(county_user: Any, appraiser_user: Any, trained_appraiser: Any) -> None:
    household = add_household(county_user)
    first = appraise(appraiser_user, household, [trained_appraiser], on=TODAY - dt.timedelta(days=10))
    assert (first.computed_grade, first.rule, first.grade) == ("C", "R3", "C")
    second = appraise(appraiser_user, household, [trained_appraiser], components=CAVE | {"walls": "b", "roof": "none"},
                      raised_to="C", raise_reason="整体偏斜明显")  # fmt: skip
    assert (second.computed_grade, second.grade) == ("B", "C")
    house = household.houses.get()
    assert HouseSafety.objects.get(house=house).grade == "C"
    assert selectors.grade_on(house, TODAY - dt.timedelta(days=20)) is None
    assert selectors.grade_on(house, TODAY - dt.timedelta(days=5)).pk == first.pk  # type: ignore[union-attr]
    assert selectors.grade_on(house, TODAY).pk == second.pk  # type: ignore[union-attr]


def test_appraisal_refuses_lowering_and_untrained_people(county_user: Any, appraiser_user: Any, trained_appraiser: Any) -> None:
    household = add_household(county_user)
    with pytest.raises(ValidationError, match="不能把按规则评定的 C 级降为 B 级"):
        appraise(appraiser_user, household, [trained_appraiser], raised_to="B", raise_reason="x")
    untrained = save_trainee(actor=county_user, trainee=None,
                             data={"name": "赵新人", "kind": PersonKind.APPRAISER, "region_code": "610826000000"})  # fmt: skip
    with pytest.raises(ValidationError, match=r"赵新人 在 .* 没有有效的鉴定培训记录"):
        appraise(appraiser_user, household, [trained_appraiser, untrained])
    with pytest.raises(PermissionDenied):
        appraise(county_user, household, [trained_appraiser])  # county staff do not appraise
    assert not Appraisal.objects.exists()


def test_site_danger_decides_d_and_closes_the_appraisal_task(
    county_user: Any, appraiser_user: Any, trained_appraiser: Any
) -> None:
    household = add_household(county_user)
    inspect(county_user, household, "suspect", risk_parts=["site"], measure="move_out")
    appraisal = appraise(appraiser_user, household, [trained_appraiser], site_dangerous=True, site_note="后山滑坡",
                         components=CAVE | {"walls": "a"})  # fmt: skip
    assert (appraisal.grade, appraisal.rule) == ("D", "R1")
    assert AppraisalTask.objects.get(household=household).status == "done"


def test_second_opinion_numbers_are_stored(county_user: Any, appraiser_user: Any, trained_appraiser: Any) -> None:
    household = add_household(county_user)
    appraisal = appraise(appraiser_user, household, [trained_appraiser],
                         quantitative_counts={"members": {"walls": (1, 10)}})  # fmt: skip
    assert appraisal.quantitative["grade"] == "B" and appraisal.quantitative["ratios"]["superstructure"] == "0.1000"


def test_demo_inspects_a_share_and_appraises_suspects_through_the_services(county_user: Any) -> None:
    from households.demo import generate as generate_households
    from inspections.demo import generate

    generate_households(county="610826", count=300, seed=7)
    made = generate(county="610826", share=0.5, suspect_share=0.3, seed=7)
    assert made["inspections"] == Inspection.objects.count() == 150
    assert made["appraisals"] == Appraisal.objects.count() > 0
    assert HouseSafety.objects.exclude(grade="").count() == made["appraisals"]
    assert InspectionTask.objects.filter(status="done").count() == 150
    assert generate(county="610826", seed=7) == {"inspections": 0, "appraisals": 0}  # a second run adds nothing


def test_weekly_table_counts_each_household_by_its_latest_inspection(
    county_user: Any, appraiser_user: Any, trained_appraiser: Any
) -> None:
    week_end = TODAY
    a = add_household(county_user)  # 名州镇, a key-group household (低保)
    b = add_household(county_user, head_id=make_id(seq=124), village=SUIDE_VILLAGE_2)
    c = add_household(county_user, head_id=make_id(seq=125))
    inspect(county_user, a, on=TODAY - dt.timedelta(days=20))
    inspect(county_user, a, "suspect", risk_parts=["walls"], measure="appraise", on=TODAY - dt.timedelta(days=2))
    inspect(county_user, b, on=TODAY - dt.timedelta(days=30))
    inspect(county_user, c, on=TODAY + dt.timedelta(days=0))
    appraise(appraiser_user, a, [trained_appraiser], on=TODAY - dt.timedelta(days=2), components=CAVE | {"walls": "d"})
    appraise(appraiser_user, a, [trained_appraiser], on=TODAY - dt.timedelta(days=1), components=CAVE | {"walls": "b"})
    table = selectors.weekly_table("610826", week_end)
    town = {r.code: r.values for r in table.rows}
    assert (town["610826100"]["households"], town["610826100"]["inspected"], town["610826100"]["suspect"]) == (2, 2, 1)
    assert (town["610826100"]["safe"], town["610826100"]["this_week"], town["610826100"]["inspected_key"]) == (1, 2, 2)
    assert (town["610826100"]["appraised"], town["610826100"]["B"], town["610826100"]["D"]) == (1, 1, 0)  # the latest grade
    assert (town["610826101"]["inspected"], town["610826101"]["safe"], town["610826101"]["this_week"]) == (1, 1, 0)
    assert table.total.values["inspected"] == 3
    earlier = selectors.weekly_table("610826", TODAY - dt.timedelta(days=10))
    assert earlier.total.values["inspected"] == 2 and earlier.total.values["suspect"] == 0  # as it stood then
