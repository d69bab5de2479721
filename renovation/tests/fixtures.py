from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from accounts.roles import Role
from conftest import SUIDE_VILLAGE, add_household, make_user
from core.images import sample_jpeg
from field.sync import attach_upload, field_capture
from inspections import services as inspection_services
from renovation import notices, services
from renovation.dates import clock_at
from training.models import CourseKind, PersonKind
from training.services import add_records, save_course, save_trainee

TODAY = timezone.localdate()  # the server's date (Asia/Shanghai), as the date rules count it
LONG_AGO = TODAY - dt.timedelta(days=25)


@pytest.fixture
def town_user(db: Any) -> Any:
    return make_user("sd_town", "610826100", Role.TOWN_STAFF)


@pytest.fixture
def village_user(db: Any) -> Any:
    return make_user("sd_village", SUIDE_VILLAGE, Role.VILLAGE_CADRE)


def appraise(appraiser: Any, trainee: Any, household: Any, grade: str, on: dt.date) -> Any:
    walls = {"A": "a", "B": "b", "C": "c", "D": "d"}[grade]
    data = inspection_services.AppraisalInput(
        house_id=household.houses.get().pk,
        appraised_on=on,
        components={"foundation": "a", "walls": walls, "roof": "a"},
        prevention="partly",
        appraiser_ids=[trainee.pk],
        organisation="绥德县住建局",
    )
    return inspection_services.record_appraisal(actor=appraiser, data=data)[0]


@pytest.fixture
def dangerous(county_user: Any, appraiser_user: Any, trained_appraiser: Any) -> Any:
    """A key-group household (低保) of 名州镇's first village whose stone cave is appraised C."""
    household = add_household(county_user)
    appraise(appraiser_user, trained_appraiser, household, "C", LONG_AGO)
    return household


@pytest.fixture
def craftsman(county_user: Any) -> Any:
    return make_craftsman(county_user)


def make_craftsman(county_user: Any) -> Any:
    """刘工匠, a craftsman trained in construction, as agreements name the builder."""
    person = save_trainee(
        actor=county_user, trainee=None, data={"name": "刘工匠", "kind": PersonKind.CRAFTSMAN, "region_code": "610826000000"}
    )
    course = save_course(
        actor=county_user,
        course=None,
        data={
            "title": "建筑工匠培训",
            "kind": CourseKind.CONSTRUCTION,
            "organiser": "县住建局",
            "start_date": LONG_AGO,
            "end_date": LONG_AGO,
            "region_code": "610826000000",
        },
    )
    add_records(actor=county_user, course=course, trainees=[person])
    return person


def photo(actor: Any, case: Any, part: str) -> None:
    attach_upload(
        actor=actor,
        kind="case",
        record_uid=case.uid,
        part=part,
        data=sample_jpeg(f"{case.pk}-{part}"),
        capture=field_capture(case.house),  # taken on site with the field app (a stage needs a located photo)
    )


def county_standards(year: int) -> None:
    """Suide's subsidy standards for the year (domain 7.4: C 5,000, D 25,000; turnkey 40,000), which the
    agreement's subsidy is checked against (funds.standards)."""
    from funds.models import SubsidyStandard

    for grade, mode, amount in (("C", "repair", 5000), ("", "rebuild_onsite", 25000), ("", "turnkey", 40000)):
        SubsidyStandard.objects.get_or_create(
            year=year, region_prefix="610826", grade=grade, mode=mode,
            defaults={"amount": Decimal(amount), "source_document": "绥建发〔2026〕8号"},
        )  # fmt: skip


def opened_on(case: Any, day: dt.date) -> None:
    """Set up history: the case was opened on `day` (tests only; the steps after it are taken on the clock)."""
    from renovation.models import CaseEvent

    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
    CaseEvent.objects.filter(case=case, action="open", at__date__gt=day).update(at=moment, effective_on=day)


def through_notices(case: Any, village_user: Any, town_user: Any, county_user: Any) -> Any:
    """Village review and notice, town review and notice, county approval and notice, each entered on its own
    day (the server's clock moved there) and each notice long over: the county's ended 16 days ago."""
    county_standards(case.year)
    start = TODAY - dt.timedelta(days=40)
    opened_on(case, start - dt.timedelta(days=1))
    with clock_at(start):
        services.transition(actor=village_user, case_id=case.pk, action="village_review", comment="村民代表会议通过")
        notices.publish(actor=village_user, level="village", scope=case.region_code, case_ids=[case.pk], start_date=start)
    with clock_at(start + dt.timedelta(days=10)):
        services.transition(actor=town_user, case_id=case.pk, action="town_review")
        notices.publish(
            actor=town_user,
            level="town",
            scope=case.region_code[:9],
            case_ids=[case.pk],
            start_date=start + dt.timedelta(days=10),
        )
    with clock_at(start + dt.timedelta(days=20)):
        services.transition(actor=county_user, case_id=case.pk, action="county_approve")
        notices.publish(
            actor=county_user,
            level="county",
            scope=case.region_code[:6],
            case_ids=[case.pk],
            start_date=start + dt.timedelta(days=20),
        )
    return services.Case.objects.get(pk=case.pk)


def agreed_repair(case: Any, county_user: Any, craftsman: Any, subsidy: str = "5000") -> Any:
    terms = services.Terms(mode="repair", build_method="self", subsidy=Decimal(subsidy), builder_id=craftsman.pk)
    services.set_terms(actor=county_user, case_id=case.pk, terms=terms)
    return services.transition(actor=county_user, case_id=case.pk, action="agree")


def accepted_repair(
    case: Any,
    village_user: Any,
    town_user: Any,
    county_user: Any,
    craftsman: Any,
    appraiser: Any,
    trainee: Any,
    subsidy: str = "5000",
) -> Any:
    """A case walked through every step to an accepted repair, each step entered on its day: agreed 15 days
    ago, started 14 days ago, completed 5 days ago (the stages 9 days apart), accepted today."""
    case = through_notices(case, village_user, town_user, county_user)
    with clock_at(TODAY - dt.timedelta(days=15)):
        case = agreed_repair(case, county_user, craftsman, subsidy)
    with clock_at(TODAY - dt.timedelta(days=14)):
        photo(town_user, case, "before")
        services.transition(actor=town_user, case_id=case.pk, action="start")
    with clock_at(TODAY - dt.timedelta(days=5)):
        photo(town_user, case, "after")
        services.transition(actor=town_user, case_id=case.pk, action="complete")
    appraise(appraiser, trainee, case.household, "B", TODAY - dt.timedelta(days=2))
    checklist = dict.fromkeys(services.ACCEPTANCE_ITEMS, "ok")
    data = services.AcceptanceInput(
        checklist=checklist,
        household_agrees=True,
        household_signatory=case.household.head_name,
        inspectors="验收组",
        accepted_on=TODAY,
    )
    return services.accept(actor=county_user, case_id=case.pk, data=data)
