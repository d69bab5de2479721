"""The case workflow and its dates tried as a dishonest official and an attacker (issue 12, ADR 0024):
hand-edited hidden fields and values on the pages, methods the API does not offer, objections outside a
notice. Each attempt is refused in Chinese (never a 500) and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEvent
from conftest import PASSWORD, token_for
from renovation import services
from renovation.models import Case, Objection
from renovation.tests import test_dates as _dates
from renovation.tests.fixtures import TODAY, through_notices
from renovation.tests.test_dates import DAY, snapshot

building = _dates.building  # a fixture of renovation.tests.test_dates
completed = _dates.completed  # a fixture of renovation.tests.test_dates
reviewed = _dates.reviewed  # a fixture of renovation.tests.test_dates


@pytest.fixture(autouse=True)
def _photo_evidence_not_under_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("renovation.stage_evidence.stage_refusal", lambda *a, **k: None)


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def approved(village_user: Any, town_user: Any, county_user: Any, dangerous: Any) -> Case:
    """Through its three notices: the county may now set the mode and the subsidy."""
    case = services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    return through_notices(case, village_user, town_user, county_user)  # type: ignore[no-any-return]


def test_hand_edited_terms_form_values_are_refused_in_chinese_never_a_500(
    approved: Case, county_user: Any, craftsman: Any
) -> None:
    before = snapshot(approved)
    events = AuditEvent.objects.count()
    good = {"mode": "repair", "build_method": "self", "subsidy": "5000", "builder": str(craftsman.pk)}
    for wrong in (
        {**good, "subsidy": "NaN"},
        {**good, "subsidy": "Infinity"},
        {**good, "subsidy": "1e30"},
        {**good, "subsidy": "-0.001"},
    ):
        page = login("sd_county").post(f"/renovation/cases/{approved.pk}/terms/", wrong, follow=True)
        assert page.status_code == 200, wrong
        text = page.content.decode()
        assert "alert-danger" in text or "请填写" in text or "须为" in text, wrong
    approved.refresh_from_db()
    assert approved.subsidy is None and approved.mode == ""
    assert snapshot(approved) == before and AuditEvent.objects.count() == events
    # the hidden version field edited by hand is taken as "the version shown", not a 500
    page = login("sd_county").post(f"/renovation/cases/{approved.pk}/terms/", {**good, "version": "abc"}, follow=True)
    assert page.status_code == 200 and "改造方式和补助已保存" in page.content.decode()


def test_an_objection_outside_a_notice_is_refused_from_the_page(building: Case, village_user: Any) -> None:
    before = snapshot(building)
    page = login("sd_village").post(f"/renovation/cases/{building.pk}/objection/", {"content": "该户不符合条件"}, follow=True)
    assert page.status_code == 200 and "只能在公示期间登记或处理异议" in page.content.decode()
    assert snapshot(building) == before and not Objection.objects.exists()


def test_the_api_offers_no_way_to_write_a_case_but_its_steps(building: Case, county_user: Any) -> None:
    before = snapshot(building)
    client = Client(HTTP_AUTHORIZATION=f"Token {token_for(county_user)}")
    body = {"state": "paid", "on_hold": False, "subsidy": "999999", "completed_on": str(TODAY)}
    for method in (client.patch, client.put, client.delete):
        response = method(f"/api/cases/{building.pk}/", body, content_type="application/json")
        assert response.status_code == 405
    assert client.post("/api/cases/", body, content_type="application/json").status_code == 405
    for action in ("pay", "accept", "correct_started", "county_hold", "village_notice"):
        refused = client.post(f"/api/cases/{building.pk}/transition/", {"action": action}, content_type="application/json")
        assert refused.status_code == 400, action
    assert snapshot(building) == before


def test_steps_with_their_own_form_are_refused_from_the_list_batch(building: Case, county_user: Any) -> None:
    before = snapshot(building)
    for action in ("pay", "accept", "correct_agreed", "start"):
        page = login("sd_county").post("/renovation/batch/", {"case": [str(building.pk)], "action": action}, follow=True)
        assert page.status_code == 200 and "未办理" in page.content.decode(), action
    assert snapshot(building) == before


def test_the_history_names_a_correction_as_such_not_as_the_state_again(completed: Case, town_user: Any) -> None:
    """A correction leaves the state as it is: its row in 办理过程 reads 更正日期, not a second 已竣工."""
    page = (
        login("sd_town")
        .post(
            f"/renovation/cases/{completed.pk}/step/",
            {"action": "correct", "stage": "complete", "on": str(TODAY - 6 * DAY), "comment": "竣工日期录入有误"},
            follow=True,
        )
        .content.decode()
    )
    history = page[page.index('id="case-events"') :]
    assert "<td>更正日期</td>" in history
    assert history.count("<td>已竣工</td>") == 1


def test_an_open_objection_cannot_be_buried_by_returning_the_case(
    village_user: Any, town_user: Any, county_user: Any, dangerous: Any
) -> None:
    """The town returns a held case to the village, which would clear the hold and start the notices
    again with the objection never answered: refused until the objection is dealt with."""
    from renovation import notices

    case = services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    services.transition(actor=village_user, case_id=case.pk, action="village_review")
    notices.publish(actor=village_user, level="village", scope=case.region_code, case_ids=[case.pk], start_date=TODAY)
    objection = notices.record_objection(actor=village_user, case_id=case.pk, content="该户在县城有商品房")
    before = snapshot(case)
    body = {"action": "return", "comment": "材料不全，退回重新申请"}
    page = login("sd_town").post(f"/renovation/cases/{case.pk}/step/", body, follow=True).content.decode()
    assert "未处理的异议" in page
    client = Client(HTTP_AUTHORIZATION=f"Token {token_for(town_user)}")
    answer = client.post(f"/api/cases/{case.pk}/transition/", body, content_type="application/json")
    assert answer.status_code == 400 and "未处理的异议" in answer.content.decode()
    batch = login("sd_town").post("/renovation/batch/", {"case": [str(case.pk)], **body}, follow=True).content.decode()
    assert "未处理的异议" in batch
    assert snapshot(case) == before
    objection.refresh_from_db()
    assert not objection.resolved and Case.objects.get(pk=case.pk).on_hold
    # answered first, the case may be returned
    notices.resolve_objection(actor=town_user, objection_id=objection.pk, resolution="经核实属实，须重新评议", upheld=False)
    assert services.transition(actor=town_user, case_id=case.pk, action="return", comment="重新评议").state == "application"


def test_an_overlong_hotline_typed_on_the_notice_form_is_refused_in_chinese(reviewed: Case, village_user: Any) -> None:
    """The API limits the hotline to 40 characters; the page must too (PostgreSQL refuses a longer value: a 500)."""
    before = snapshot(reviewed)
    body = {"case": [str(reviewed.pk)], "start_date": str(TODAY), "hotline": "0912-" + "1" * 60}
    page = login("sd_village").post("/renovation/notices/new/", body, follow=True)
    assert page.status_code == 200 and "举报电话" in page.content.decode() and "40" in page.content.decode()
    assert snapshot(reviewed) == before
    answer = Client(HTTP_AUTHORIZATION=f"Token {token_for(village_user)}").post(
        "/api/notices/",
        {"level": "village", "scope": reviewed.region_code, "cases": [reviewed.pk], "hotline": "1" * 60},
        content_type="application/json",
    )
    assert answer.status_code == 400 and snapshot(reviewed) == before


def test_overlong_names_on_the_acceptance_form_are_refused_in_chinese(
    completed: Case, county_user: Any, appraiser_user: Any, trained_appraiser: Any
) -> None:
    from renovation.tests.fixtures import appraise

    appraise(appraiser_user, trained_appraiser, completed.household, "B", TODAY)
    before = snapshot(completed)
    body = {f"item_{k}": "ok" for k in services.ACCEPTANCE_ITEMS}
    body |= {"household_agrees": "on", "household_signatory": "郝" * 60, "inspectors": "验收组" * 80}
    page = login("sd_county").post(f"/renovation/cases/{completed.pk}/accept/", body, follow=True)
    assert page.status_code == 200
    text = page.content.decode()
    assert "农户签字人最多 50 个字" in text and "验收人员最多 200 个字" in text
    assert snapshot(completed) == before
