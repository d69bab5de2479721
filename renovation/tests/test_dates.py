"""Dates the server can vouch for (issue 12 findings 1 and 2), tried as a dishonest official would.

Written from the domain (7.1: village and town notices at least 7 days, county at least 5; stages at
least the configured 7 days apart; no date in the future), not from renovation.rules: the numbers are
the domain's. Each fraud is tried from the service, the page and the API and must be refused with a
Chinese reason, with nothing changed. (Field data reaches a case only as photos: a field upload never
moves a case or sets a date, checked at the end.)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from audit.models import AuditEvent
from conftest import PASSWORD, token_for
from renovation import notices, services
from renovation.dates import clock_at
from renovation.models import Case, CaseEvent, Notice
from renovation.tests.fixtures import TODAY, agreed_repair, opened_on, photo, through_notices


@pytest.fixture(autouse=True)
def _photo_evidence_not_under_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about dates; the photos they upload are taken at the real time before the
    clock-moved steps. The photo evidence rule has its own tests (field/tests/test_evidence_strength.py)."""
    monkeypatch.setattr("renovation.stage_evidence.stage_refusal", lambda *a, **k: None)

DAY = dt.timedelta(days=1)


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token_for(user)}")


def snapshot(case: Case) -> tuple[Any, ...]:
    case.refresh_from_db()
    return (case.state, case.on_hold, case.version, case.started_on, case.structure_done_on, case.completed_on,
            case.events.count(), case.notices.count())  # fmt: skip


@pytest.fixture
def reviewed(village_user: Any, dangerous: Any) -> Case:
    """A case reviewed by the village 10 days ago (opened the day before)."""
    case = services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    opened_on(case, TODAY - 11 * DAY)
    with clock_at(TODAY - 10 * DAY):
        return services.transition(actor=village_user, case_id=case.pk, action="village_review")


# --- finding 1: back-dated notices -------------------------------------------------------------------------


def test_a_back_dated_village_notice_runs_its_seven_days_from_the_day_it_was_published(
    reviewed: Case, village_user: Any, town_user: Any
) -> None:
    """The notice says it started 7 days ago; the 7 days still start today: the town is refused until day 8."""
    notice = notices.publish(
        actor=village_user, level="village", scope=reviewed.region_code, case_ids=[reviewed.pk], start_date=TODAY - 7 * DAY
    )
    assert notice.start_date == TODAY - 7 * DAY and notice.counted_from == TODAY and notice.end_date == TODAY + 6 * DAY
    before = snapshot(reviewed)
    for day in (TODAY, TODAY + 6 * DAY):
        with clock_at(day), pytest.raises(ValidationError, match="公示期满后才能进行下一步"):
            services.transition(actor=town_user, case_id=reviewed.pk, action="town_review")
    refused = api(town_user).post(
        f"/api/cases/{reviewed.pk}/transition/", {"action": "town_review"}, content_type="application/json"
    )
    assert refused.status_code == 400 and "公示期满后才能进行下一步" in refused.content.decode()
    page = login("sd_town").post(f"/renovation/cases/{reviewed.pk}/step/", {"action": "town_review"}, follow=True)
    assert "公示期满后才能进行下一步" in page.content.decode()
    assert snapshot(reviewed) == before
    with clock_at(TODAY + 7 * DAY):
        assert services.transition(actor=town_user, case_id=reviewed.pk, action="town_review").state == "town_reviewed"


def test_back_dated_town_and_county_notices_cannot_shorten_their_periods(
    reviewed: Case, village_user: Any, town_user: Any, county_user: Any
) -> None:
    """Town 7 days and county 5 days, each counted from the day the server recorded it, whatever start is given."""
    with clock_at(TODAY - 9 * DAY):
        notices.publish(
            actor=village_user, level="village", scope=reviewed.region_code, case_ids=[reviewed.pk], start_date=TODAY - 9 * DAY
        )
    with clock_at(TODAY - 2 * DAY):
        services.transition(actor=town_user, case_id=reviewed.pk, action="town_review")
        town = notices.publish(
            actor=town_user, level="town", scope=reviewed.region_code[:9], case_ids=[reviewed.pk], start_date=TODAY - 2 * DAY
        )
    assert town.end_date == TODAY + 4 * DAY  # 7 days from the day before yesterday
    with pytest.raises(ValidationError, match="公示期至"):
        services.transition(actor=county_user, case_id=reviewed.pk, action="county_approve")
    with clock_at(TODAY + 5 * DAY):  # approved the day after the town's notice ended, and not dated inside it
        with pytest.raises(ValidationError, match="不能早于"):
            services.transition(actor=county_user, case_id=reviewed.pk, action="county_approve", on=TODAY + 3 * DAY)
        services.transition(actor=county_user, case_id=reviewed.pk, action="county_approve")
    with clock_at(TODAY + 7 * DAY):  # the county's notice posted two days late but dated the day of approval
        county = notices.publish(
            actor=county_user, level="county", scope=reviewed.region_code[:6], case_ids=[reviewed.pk], start_date=TODAY + 5 * DAY
        )
    assert county.counted_from == TODAY + 7 * DAY and county.end_date == TODAY + 11 * DAY  # 5 days from the 7th
    for day in (TODAY + 9 * DAY, TODAY + 11 * DAY):
        with clock_at(day), pytest.raises(ValidationError, match="公示期满后才能进行下一步"):
            services.transition(actor=county_user, case_id=reviewed.pk, action="agree")
    with clock_at(TODAY + 12 * DAY), pytest.raises(ValidationError, match="请先填写改造方式"):
        services.transition(actor=county_user, case_id=reviewed.pk, action="agree")  # the period is over: next rule


def test_a_notice_cannot_start_before_the_review_that_produced_it(reviewed: Case, village_user: Any) -> None:
    before = snapshot(reviewed)
    early = TODAY - 12 * DAY  # the review was 10 days ago
    with pytest.raises(ValidationError, match="不能早于上一步“村民主评议”"):
        notices.publish(actor=village_user, level="village", scope=reviewed.region_code, case_ids=[reviewed.pk], start_date=early)
    body = {"level": "village", "scope": reviewed.region_code, "cases": [reviewed.pk], "start_date": early.isoformat()}
    refused = api(village_user).post("/api/notices/", body, content_type="application/json")
    assert refused.status_code == 400 and "不能早于上一步" in refused.content.decode()
    page = login("sd_village").post("/renovation/notices/new/", {"case": [reviewed.pk], "start_date": early.isoformat()})
    assert page.status_code == 200 and "不能早于上一步" in page.content.decode()
    assert snapshot(reviewed) == before and not Notice.objects.exists()


def test_a_notice_cannot_start_in_the_future_nor_end_early(reviewed: Case, village_user: Any) -> None:
    before = snapshot(reviewed)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        notices.publish(
            actor=village_user, level="village", scope=reviewed.region_code, case_ids=[reviewed.pk], start_date=TODAY + DAY
        )
    with pytest.raises(ValidationError, match="公示期不少于 7 天"):  # the end given counts from today, not the start
        notices.publish(
            actor=village_user,
            level="village",
            scope=reviewed.region_code,
            case_ids=[reviewed.pk],
            start_date=TODAY - 5 * DAY,
            end_date=TODAY + DAY,
        )
    page = login("sd_village").post(
        "/renovation/notices/new/", {"case": [reviewed.pk], "start_date": "2026-02-30"}
    )  # no such day: a Chinese error, not a 500
    assert page.status_code == 200 and "日期格式不正确" in page.content.decode()
    assert snapshot(reviewed) == before


# --- finding 2: construction dates ---------------------------------------------------------------------------


@pytest.fixture
def building(village_user: Any, town_user: Any, county_user: Any, dangerous: Any, craftsman: Any) -> Case:
    """An agreed repair (agreed 15 days ago) with its 施工前 and 竣工后 photos on file."""
    case = through_notices(
        services.open_case(actor=village_user, house_id=dangerous.houses.get().pk), village_user, town_user, county_user
    )
    with clock_at(TODAY - 15 * DAY):
        case = agreed_repair(case, county_user, craftsman)
    photo(town_user, case, "before")
    photo(town_user, case, "after")
    return case


def test_a_completion_date_in_the_future_is_refused_everywhere(building: Case, town_user: Any) -> None:
    with clock_at(TODAY - 14 * DAY):
        services.transition(actor=town_user, case_id=building.pk, action="start")
    before = snapshot(building)
    ahead = TODAY + 8 * DAY
    with pytest.raises(ValidationError, match="不能晚于今天"):
        services.transition(actor=town_user, case_id=building.pk, action="complete", on=ahead)
    body = {"action": "complete", "on": ahead.isoformat()}
    refused = api(town_user).post(f"/api/cases/{building.pk}/transition/", body, content_type="application/json")
    assert refused.status_code == 400 and "不能晚于今天" in refused.content.decode()
    page = login("sd_town").post(f"/renovation/cases/{building.pk}/step/", body, follow=True)
    assert "不能晚于今天" in page.content.decode()
    assert snapshot(building) == before and building.completed_on is None
    bad = login("sd_town").post(f"/renovation/cases/{building.pk}/step/", {"action": "complete", "on": "2026-13-40"}, follow=True)
    assert bad.status_code == 200 and "日期格式不正确" in bad.content.decode()


def test_stages_closer_together_than_the_minimum_are_refused_however_dated(building: Case, town_user: Any) -> None:
    """Started today but dated 14 days ago: completion 3 days later (dated whenever) is still 3 days, not 17."""
    services.transition(actor=town_user, case_id=building.pk, action="start", on=TODAY - 14 * DAY)
    assert Case.objects.get(pk=building.pk).started_on == TODAY - 14 * DAY
    with clock_at(TODAY + 3 * DAY):
        before = snapshot(building)
        with pytest.raises(ValidationError, match="不足 7 天"):
            services.transition(actor=town_user, case_id=building.pk, action="complete", on=TODAY - 5 * DAY)
        body = {"action": "complete", "on": (TODAY + 3 * DAY).isoformat()}
        refused = api(town_user).post(f"/api/cases/{building.pk}/transition/", body, content_type="application/json")
        assert refused.status_code == 400 and "不足 7 天" in refused.content.decode()
        page = login("sd_town").post(f"/renovation/cases/{building.pk}/step/", body, follow=True)
        assert "不足 7 天" in page.content.decode()
        assert snapshot(building) == before
    with clock_at(TODAY + 6 * DAY), pytest.raises(ValidationError, match="不足 7 天"):
        services.transition(actor=town_user, case_id=building.pk, action="complete")
    with clock_at(TODAY + 7 * DAY):
        assert services.transition(actor=town_user, case_id=building.pk, action="complete").state == "completed"


def test_a_stage_cannot_precede_the_agreement_or_the_stage_before(building: Case, town_user: Any) -> None:
    before = snapshot(building)
    with pytest.raises(ValidationError, match=r"开工.*不能早于签订协议"):
        services.transition(actor=town_user, case_id=building.pk, action="start", on=TODAY - 20 * DAY)
    assert snapshot(building) == before
    with clock_at(TODAY - 14 * DAY):
        services.transition(actor=town_user, case_id=building.pk, action="start")
    with pytest.raises(ValidationError, match=r"竣工.*不能早于开工"):
        services.transition(actor=town_user, case_id=building.pk, action="complete", on=TODAY - 15 * DAY)


def test_acceptance_and_steps_the_page_does_not_offer_are_refused_from_the_bare_transition(
    building: Case, town_user: Any, county_user: Any
) -> None:
    """Acceptance has its checklist, a notice its form, a hold its objection, payment the bank: not a POST away."""
    before = snapshot(building)
    for action in ("accept", "pay", "county_notice", "county_hold", "correct_agreed"):
        refused = api(county_user).post(
            f"/api/cases/{building.pk}/transition/", {"action": action}, content_type="application/json"
        )
        assert refused.status_code == 400, action
        page = login("sd_county").post(f"/renovation/cases/{building.pk}/step/", {"action": action}, follow=True)
        assert "请" in page.content.decode() or "不能" in page.content.decode()
        with pytest.raises(ValidationError):
            services.transition(actor=county_user, case_id=building.pk, action=action)
    assert snapshot(building) == before


# --- the correction step ------------------------------------------------------------------------------------


@pytest.fixture
def completed(building: Case, town_user: Any) -> Case:
    with clock_at(TODAY - 14 * DAY):
        services.transition(actor=town_user, case_id=building.pk, action="start")
    with clock_at(TODAY - 5 * DAY):
        services.transition(actor=town_user, case_id=building.pk, action="complete")
    return Case.objects.get(pk=building.pk)


def test_a_wrong_date_is_corrected_by_the_town_with_a_reason_in_the_history_and_the_audit(
    completed: Case, town_user: Any, village_user: Any
) -> None:
    right = TODAY - 6 * DAY
    with pytest.raises(ValidationError, match="无权进行“更正日期”"):  # not the village
        services.correct_date(actor=village_user, case_id=completed.pk, stage="complete", on=right, reason="录错了")
    with pytest.raises(ValidationError, match="须写明理由"):
        services.correct_date(actor=town_user, case_id=completed.pk, stage="complete", on=right, reason=" ")
    assert Case.objects.get(pk=completed.pk).completed_on == TODAY - 5 * DAY
    moved = services.correct_date(
        actor=town_user, case_id=completed.pk, stage="complete", on=right, reason="竣工日期录入有误，以验收记录为准"
    )
    assert moved.completed_on == right and moved.state == "completed"
    event = moved.events.last()
    assert event is not None and event.action == "correct_completed" and "竣工日期录入有误" in event.comment
    assert event.actor == town_user and event.effective_on == TODAY
    audit = AuditEvent.objects.filter(verb="renovation.correct_date").get()
    assert audit.before == {"completed_on": str(TODAY - 5 * DAY)} and audit.after["completed_on"] == str(right)
    page = login("sd_town").get(f"/renovation/cases/{completed.pk}/").content.decode()
    assert "竣工日期录入有误" in page and 'id="case-correct"' in page
    assert 'id="case-correct"' not in login("sd_village").get(f"/renovation/cases/{completed.pk}/").content.decode()


def test_a_correction_is_held_to_the_same_date_rules(completed: Case, town_user: Any, county_user: Any) -> None:
    before = snapshot(completed)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        services.correct_date(actor=county_user, case_id=completed.pk, stage="complete", on=TODAY + DAY, reason="改")
    with pytest.raises(ValidationError, match="不能早于开工"):
        services.correct_date(actor=county_user, case_id=completed.pk, stage="complete", on=TODAY - 20 * DAY, reason="改")
    with pytest.raises(ValidationError, match="不足 7 天"):  # the start moved later, nearer the completion
        services.correct_date(actor=county_user, case_id=completed.pk, stage="start", on=TODAY - 8 * DAY, reason="改")
    with pytest.raises(ValidationError, match="尚无可更正"):
        services.correct_date(actor=county_user, case_id=completed.pk, stage="structure_done", on=TODAY, reason="改")
    body = {"action": "correct", "stage": "complete", "on": (TODAY + DAY).isoformat(), "comment": "改"}
    refused = api(county_user).post(f"/api/cases/{completed.pk}/transition/", body, content_type="application/json")
    assert refused.status_code == 400 and "不能晚于今天" in refused.content.decode()
    page = login("sd_county").post(f"/renovation/cases/{completed.pk}/step/", body, follow=True)
    assert "不能晚于今天" in page.content.decode()
    for wrong in ({**body, "stage": "accepted_on"}, {"action": "correct", "comment": "改"}):
        bad = api(county_user).post(f"/api/cases/{completed.pk}/transition/", wrong, content_type="application/json")
        assert bad.status_code == 400 and "施工节点" in bad.content.decode()
    bad_page = login("sd_county").post(f"/renovation/cases/{completed.pk}/step/", {**body, "stage": "x"}, follow=True)
    assert bad_page.status_code == 200 and "尚无可更正" in bad_page.content.decode()
    assert snapshot(completed) == before
    ok = api(county_user).post(
        f"/api/cases/{completed.pk}/transition/",
        {**body, "on": (TODAY - 4 * DAY).isoformat(), "comment": "以监理日志为准"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["completed_on"] == str(TODAY - 4 * DAY)


def test_a_future_completion_entered_before_this_rule_is_corrected_then_accepted(
    completed: Case, county_user: Any, appraiser_user: Any, trained_appraiser: Any
) -> None:
    """Finding 2's case: a completion dated ahead could never be accepted; corrected, it can."""
    from renovation.tests.fixtures import appraise

    Case.objects.filter(pk=completed.pk).update(completed_on=TODAY + 8 * DAY)  # as stored before this rule
    appraise(appraiser_user, trained_appraiser, completed.household, "B", TODAY - DAY)
    services.correct_date(actor=county_user, case_id=completed.pk, stage="complete", on=TODAY - 5 * DAY, reason="误录为未来日期")
    data = services.AcceptanceInput(
        checklist=dict.fromkeys(services.ACCEPTANCE_ITEMS, "ok"),
        household_agrees=True,
        household_signatory="户主",
        inspectors="验收组",
        accepted_on=TODAY,
    )
    assert services.accept(actor=county_user, case_id=completed.pk, data=data).state == "accepted"


def test_a_field_upload_never_moves_a_case_nor_sets_its_dates(building: Case, town_user: Any) -> None:
    before = snapshot(building)
    photo(town_user, building, "during")
    assert snapshot(building) == before
    assert not CaseEvent.objects.filter(case=building, action__in=["start", "complete"]).exists()
