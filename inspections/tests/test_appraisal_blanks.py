"""Issue 13, finding 7: an appraisal form with blanks is graded nowhere (ADR 0031).

Each test is what a dishonest or careless user would send: the page, the API and the field sync each
get a form with blanks and must refuse it in Chinese, naming the blanks, storing nothing and grading
nothing; an appraisal stored before the rule keeps its grade and reads its blanks as "未填".
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from conftest import add_household, token_for
from field import sync
from households.models import House
from inspections.models import Appraisal, HouseSafety

TODAY = timezone.localdate()
EARTH_TIMBER_BLANKS = "以下构件尚未评定：承重墙体、木柱梁檩、木屋架、屋面。房屋没有的构件请选“无此构件”"
COMPLETE = {"foundation": "a", "walls": "c", "timber_frame": "b", "timber_truss": "none", "roof": "b"}


@pytest.fixture
def earth_timber(county_user: Any) -> Any:
    """A household whose one house is earth-timber (土木): foundation, walls, posts and beams, truss, roof."""
    household = add_household(county_user)
    House.objects.filter(household=household).update(structure_type="earth_timber")
    return household


def nothing_graded(household: Any) -> bool:
    safety = HouseSafety.objects.filter(household=household).first()
    return (
        not Appraisal.objects.exists()
        and not AuditEvent.objects.filter(verb="inspection.appraise").exists()
        and (safety is None or not safety.grade)
    )


def form(trained_appraiser: Any, **answers: str) -> dict[str, Any]:
    return {"appraised_on": TODAY, "organisation": "绥德县住建局", "appraisers": [trained_appraiser.pk],
            "prevention": "partly", "uid": uuid.uuid4()} | {f"c_{k}": v for k, v in answers.items()}  # fmt: skip


# --- the page ------------------------------------------------------------------------------------


def appraise_url(client: Any, appraiser: Any, household: Any) -> str:
    client.force_login(appraiser)
    return reverse("inspections:appraise", args=[household.houses.get().pk])


def test_the_page_offers_absent_and_preselects_nothing(client: Any, appraiser_user: Any, earth_timber: Any) -> None:
    page = client.get(appraise_url(client, appraiser_user, earth_timber)).content.decode()
    for key in COMPLETE:
        radios = re.findall(rf'<input type="radio" name="c_{key}" value="([^"]*)"([^>]*)>', page)
        assert [v for v, _attrs in radios] == ["a", "b", "c", "d", "none"], key
        assert not any("checked" in attrs for _v, attrs in radios), key
    assert page.count("无此构件") >= len(COMPLETE) and "不适用" not in page
    assert 'id="blank-warning"' in page


def test_the_page_refuses_an_earth_timber_house_with_only_its_foundation(
    client: Any, appraiser_user: Any, trained_appraiser: Any, earth_timber: Any
) -> None:
    url = appraise_url(client, appraiser_user, earth_timber)
    refused = client.post(url, form(trained_appraiser, foundation="a"))
    page = refused.content.decode()
    assert refused.status_code == 200 and EARTH_TIMBER_BLANKS in page
    assert page.count("尚未评定</small>") == 4  # each blank marked on its fieldset, the answered one not
    assert re.search(r'name="c_foundation" value="a" checked', page)  # what was answered stays answered
    assert nothing_graded(earth_timber)


@pytest.mark.parametrize(
    "answers, message",
    [
        ({**COMPLETE, "roof": ""}, "以下构件尚未评定：屋面。"),  # the old form's "不适用" radio posted an empty value
        ({k: v for k, v in COMPLETE.items() if k != "walls"}, "以下构件尚未评定：承重墙体。"),
        (dict.fromkeys(COMPLETE, "none"), "请至少评定一个构件的危险性等级"),
        ({**COMPLETE, "walls": "无此构件"}, "构件等级只能是 a、b、c、d 或“无此构件”，不能是“无此构件”"),
    ],
)
def test_the_page_refuses_every_kind_of_incomplete_form(
    client: Any, appraiser_user: Any, trained_appraiser: Any, earth_timber: Any, answers: dict[str, str], message: str
) -> None:
    url = appraise_url(client, appraiser_user, earth_timber)
    response = client.post(url, form(trained_appraiser, **answers) | {"site_dangerous": "on", "site_note": "后山滑坡"})
    assert response.status_code == 200 and message in response.content.decode()
    assert nothing_graded(earth_timber)


def test_the_page_refuses_blanks_even_when_the_site_is_dangerous(
    client: Any, appraiser_user: Any, trained_appraiser: Any, earth_timber: Any
) -> None:
    url = appraise_url(client, appraiser_user, earth_timber)
    data = form(trained_appraiser, foundation="a") | {"site_dangerous": "on", "site_note": "后山滑坡"}
    assert EARTH_TIMBER_BLANKS in client.post(url, data).content.decode()
    assert nothing_graded(earth_timber)


def test_a_complete_form_with_an_absent_truss_is_graded_and_shown(
    client: Any, appraiser_user: Any, trained_appraiser: Any, earth_timber: Any
) -> None:
    url = appraise_url(client, appraiser_user, earth_timber)
    saved = client.post(url, form(trained_appraiser, **COMPLETE))
    assert saved.status_code == 302
    appraisal = Appraisal.objects.get()
    assert appraisal.components == COMPLETE and (appraisal.grade, appraisal.rule) == ("C", "R3")
    sheet = client.get(saved["Location"]).content.decode()
    assert re.search(r'data-key="timber_truss"><td>木屋架</td><td>无此构件</td><td></td>', sheet)
    assert "R3：有构件评为c级（无d级）（承重墙体）" in sheet


def test_a_stored_appraisal_keeps_its_grade_and_reads_its_blanks_as_not_filled(
    client: Any, appraiser_user: Any, trained_appraiser: Any, earth_timber: Any
) -> None:
    """Before ADR 0031 a blank was stored as None (or left out) and graded: the grade stays, the blank is 未填."""
    url = appraise_url(client, appraiser_user, earth_timber)
    client.post(url, form(trained_appraiser, **COMPLETE))
    old = {"foundation": "a", "walls": None, "timber_truss": None}  # as the old form stored the finding's house
    Appraisal.objects.update(components=old, computed_grade="A", rule="R5", grade="A")
    appraisal = Appraisal.objects.get()
    sheet = client.get(reverse("inspections:appraisal", args=[appraisal.pk])).content.decode()
    for key, label in (("walls", "承重墙体"), ("timber_frame", "木柱梁檩"), ("timber_truss", "木屋架"), ("roof", "屋面")):
        assert re.search(rf'data-key="{key}"><td>{label}</td><td>未填</td>', sheet), key
    assert re.search(r'data-key="foundation"><td>地基基础</td><td>a</td><td>地基稳定，基础完好</td>', sheet)
    assert 'id="final-grade">A 级' in sheet and "不适用" not in sheet


# --- the API -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "components",
    [
        {"foundation": "a"},
        {"foundation": "a", "walls": None, "timber_frame": None, "timber_truss": None, "roof": None},
        {"foundation": "a", "walls": "", "timber_frame": "", "timber_truss": "", "roof": ""},
    ],
)
def test_the_api_refuses_an_appraisal_with_blanks(
    appraiser_user: Any, trained_appraiser: Any, earth_timber: Any, components: dict[str, Any]
) -> None:
    api = Client(HTTP_AUTHORIZATION=f"Token {token_for(appraiser_user)}")
    body = {"house": earth_timber.houses.get().pk, "appraised_on": TODAY.isoformat(), "prevention": "partly",
            "components": components, "appraisers": [trained_appraiser.pk], "organisation": "绥德县住建局"}  # fmt: skip
    response = api.post("/api/appraisals/", body, content_type="application/json")
    assert response.status_code == 400 and EARTH_TIMBER_BLANKS in response.json()["components"][0]
    assert nothing_graded(earth_timber)
    done = api.post("/api/appraisals/", body | {"components": COMPLETE}, content_type="application/json")
    assert done.status_code == 201 and done.json()["grade"] == "C" and done.json()["components"]["timber_truss"] == "none"


# --- the field sync ------------------------------------------------------------------------------


def field_record(household: Any, trainee: Any, components: dict[str, Any]) -> dict[str, Any]:
    house = household.houses.get()
    return {
        "uid": str(uuid.uuid4()), "kind": "appraisal", "household": household.pk, "house": house.pk, "device": "phone-1",
        "seq": 1, "captured_at": timezone.now().isoformat(), "gps": {},
        "base": {"household_version": household.version, "house_version": house.version},
        "data": {"appraised_on": TODAY.isoformat(), "components": components, "prevention": "partly",
                 "appraisers": [trainee.pk], "organisation": "绥德县住建局"},
    }  # fmt: skip


def test_the_field_sync_refuses_an_old_app_record_with_blanks_and_says_what_to_do(
    appraiser_user: Any, trained_appraiser: Any, earth_timber: Any
) -> None:
    """An app from before ADR 0031 sends null for its "不适用 / 无此构件": refused in Chinese, not graded."""
    old = {"foundation": "a", "walls": "c", "timber_frame": None, "timber_truss": None, "roof": "b"}
    record = field_record(earth_timber, trained_appraiser, old)
    answer = sync.sync_record(actor=appraiser_user, payload=record)
    assert answer["status"] == "rejected" and "grade" not in answer
    message = answer["errors"]["components"]
    assert message.startswith("以下构件尚未评定：木柱梁檩、木屋架。") and "旧版现场应用" in message and "无此构件" in message
    assert nothing_graded(earth_timber)
    record["data"]["components"] = {**old, "timber_frame": "a", "timber_truss": "none"}  # the worker answers them
    again = sync.sync_record(actor=appraiser_user, payload=record)
    assert again["status"] == "created" and again["grade"] == "C"


def test_the_field_sync_refuses_a_record_missing_a_component(
    appraiser_user: Any, trained_appraiser: Any, earth_timber: Any
) -> None:
    record = field_record(earth_timber, trained_appraiser, {"foundation": "a"})
    answer = sync.sync_record(actor=appraiser_user, payload=record)
    assert answer["status"] == "rejected" and answer["errors"]["components"] == EARTH_TIMBER_BLANKS
    assert nothing_graded(earth_timber)


def test_the_field_sync_through_http(client: Any, appraiser_user: Any, trained_appraiser: Any, earth_timber: Any) -> None:
    record = field_record(earth_timber, trained_appraiser, {"foundation": "a", "walls": None})
    phone = Client(HTTP_AUTHORIZATION=f"Token {token_for(appraiser_user)}")
    response = phone.post("/api/field/sync/", {"records": [record]}, content_type="application/json")
    assert response.status_code == 200, response.content.decode()[:500]
    (answer,) = response.json()["results"]
    assert answer["status"] == "rejected" and EARTH_TIMBER_BLANKS in answer["errors"]["components"]
    assert nothing_graded(earth_timber)


def test_the_demo_answers_every_component(county_user: Any) -> None:
    import random

    from inspections import demo, grading

    rng = random.Random(3)
    for structure in [*grading.APPLICABLE, "local_code"]:
        for worst in "abcd":
            answers = demo._components(rng, structure, worst)
            grade = grading.compute(structure, False, answers).grade  # refused if a component were blank
            assert grade == worst.upper() or grading.is_worse(grade, worst.upper()), (structure, answers)
