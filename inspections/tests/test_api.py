from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.roles import Role
from conftest import add_household, make_user
from inspections import sampling

TODAY = dt.date.today()


def api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")


def test_campaign_inspection_and_appraisal_through_the_api(
    county_user: Any, appraiser_user: Any, trained_appraiser: Any, neighbour_user: Any
) -> None:
    household = add_household(county_user)
    county = api(county_user)
    made = county.post(
        "/api/campaigns/",
        {
            "name": "2026年度排查",
            "kind": "annual",
            "scope": "610826",
            "start_date": TODAY.isoformat(),
            "deadline": TODAY.isoformat(),
        },
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["task_count"] == 1
    uid = str(uuid.uuid4())
    body = {
        "uid": uid,
        "household": household.pk,
        "inspected_on": TODAY.isoformat(),
        "verdict": "suspect",
        "risk_parts": ["walls"],
        "measure": "appraise",
        "inspector_name": "张排查",
        "latitude": "37.5",
        "longitude": "110.2",
    }
    first = county.post("/api/inspections/", body, content_type="application/json")
    again = county.post("/api/inspections/", body, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200) and first.json()["id"] == again.json()["id"]
    assert first.json()["source"] == "api"
    progress = county.get(f"/api/campaigns/{made.json()['id']}/progress/").json()
    assert progress["total"]["done"] == 1 and progress["total"]["left"] == 0
    bad = county.post("/api/inspections/", {**body, "uid": str(uuid.uuid4()), "risk_parts": []}, content_type="application/json")
    assert bad.status_code == 400 and "须勾选存在隐患的部位" in bad.content.decode()
    appraisal = api(appraiser_user).post(
        "/api/appraisals/",
        {
            "house": household.houses.get().pk,
            "appraised_on": TODAY.isoformat(),
            "prevention": "partly",
            "components": {"foundation": "a", "walls": "d", "roof": "b"},
            "appraisers": [trained_appraiser.pk],
            "organisation": "绥德县住建局",
        },
        content_type="application/json",
    )
    assert appraisal.status_code == 201 and (appraisal.json()["grade"], appraisal.json()["rule"]) == ("D", "R2")
    neighbour = api(neighbour_user)
    assert neighbour.get("/api/inspections/").json()["count"] == 0
    assert neighbour.get(f"/api/appraisals/{appraisal.json()['id']}/").status_code == 404
    assert neighbour.get(f"/api/campaigns/{made.json()['id']}/").status_code == 404
    assert (
        neighbour.post("/api/inspections/", {**body, "uid": str(uuid.uuid4())}, content_type="application/json").status_code
        == 404  # out of scope reads as not found (core.policy)
    )


def test_sampling_and_training_through_the_api(county_user: Any, appraiser_user: Any, trained_appraiser: Any) -> None:
    from inspections.tests.test_services import appraise

    household = add_household(county_user)
    appraise(appraiser_user, household, [trained_appraiser])
    firm = make_user("sd_sampler", "610826", Role.SAMPLER)
    plan = sampling.create_plan(
        actor=county_user,
        data=sampling.PlanInput(
            name="抽查",
            scope="610826",
            stratum_level="town",
            seed=1,
            ratio=Decimal(100),
            appraised_from=TODAY,
            appraised_to=TODAY,
            firm="检测公司",
            sampler_ids=[firm.pk],
        ),
    )
    county, sampler = api(county_user), api(firm)
    assert county.get(f"/api/sampling-plans/{plan.pk}/items/").json()["results"][0]["original"]
    blind = sampler.get(f"/api/sampling-plans/{plan.pk}/items/").json()
    assert "original" not in blind[0] and blind[0]["household"] == household.pk
    assert sampler.get(f"/api/sampling-plans/{plan.pk}/disagreements/").status_code == 403
    assert county.get(f"/api/sampling-plans/{plan.pk}/disagreements/").json()["rows"] == []
    people = county.get("/api/trainees/").json()["results"]
    assert people[0]["name"] == "李鉴定" and people[0]["trained"] is True and "*" in (people[0]["id_number"] or "*")
    assert sampler.get("/api/trainees/").status_code == 403
    assert county.get(f"/api/training-records/?trainee={trained_appraiser.pk}").json()["count"] == 1
