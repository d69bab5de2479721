"""Issue 11, finding 5 and 10, as the testers found them: roles reading what the pages refused them,
another county's standards, a resent uid answering anyone, refusals that left no trace."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from accounts.roles import Role
from audit.access import DENIED, READ_PERSONAL
from audit.models import AuditEvent
from conftest import add_household, make_id, make_user
from funds import services as funds
from renovation.tests.fixtures import appraise

TODAY = dt.date.today()


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN, Role.SAMPLER])
def test_roles_outside_the_business_read_none_of_it_through_the_api(role: str, county_user: Any) -> None:
    household = add_household(county_user)
    client = signed_in(make_user(f"x_{role}", "610826", role))
    for url in ["/api/inspections/", "/api/cases/", "/api/notices/", "/api/batches/", "/api/households/",
                f"/api/field/households/?village={household.region_code}", "/api/members/", "/api/houses/"]:  # fmt: skip
        assert client.get(url).status_code == 403, url
    if role == Role.SAMPLER:  # the firm takes photos of its re-appraisals
        return
    photo = {"uid": str(uuid.uuid4()), "record_kind": "inspection", "record_uid": str(uuid.uuid4()), "size": 10}
    assert client.post("/api/field/photos/", photo, content_type="application/json").status_code == 403


def test_a_countys_funds_page_shows_its_own_and_higher_standards_only(county_user: Any, neighbour_user: Any) -> None:
    for actor, prefix, amount in ((county_user, "610826", "5000"), (neighbour_user, "610827", "9999")):
        funds.save_standard(actor=actor, data={"year": TODAY.year, "region_prefix": prefix, "grade": "C", "mode": "",
                                               "category": "", "amount": Decimal(amount), "advance_ratio": Decimal(0),
                                               "source_document": "绥政发〔2026〕1号"})  # fmt: skip
    page = signed_in(county_user).get(f"/funds/?year={TODAY.year}").content.decode()
    assert "5,000" in page and "9,999" not in page and "米脂县" not in page


def test_a_resent_appraisal_uid_tells_another_county_nothing(
    county_user: Any, appraiser_user: Any, trained_appraiser: Any
) -> None:
    household = add_household(county_user)
    made = appraise(appraiser_user, trained_appraiser, household, "C", TODAY)
    stranger = make_user("mz_appraiser", "610827", Role.APPRAISER)
    body = {"uid": str(made.uid), "house": household.houses.get().pk, "appraised_on": TODAY.isoformat(),
            "prevention": "partly", "components": {"foundation": "a", "walls": "c"}, "organisation": "米脂"}  # fmt: skip
    response = signed_in(stranger).post("/api/appraisals/", body, content_type="application/json")
    assert response.status_code == 400 and "已被使用" in response.content.decode()
    assert str(household.head_name) not in response.content.decode() and "grade" not in response.json()


def test_every_refusal_is_audited(county_user: Any, neighbour_user: Any) -> None:
    household = add_household(county_user)
    other = signed_in(neighbour_user)
    before = AuditEvent.objects.filter(verb=DENIED).count()
    for _ in range(70):
        assert other.get(f"/households/{household.pk}/").status_code == 404
    auditor = signed_in(make_user("x_auditor", "610826", Role.AUDITOR))
    assert auditor.get(f"/households/{household.pk}/").status_code == 403
    denied = AuditEvent.objects.filter(verb=DENIED).order_by("id")
    assert denied.count() - before == 71
    last = denied.last()
    assert last is not None and last.after["reason"] == "role" and not last.success
    assert denied.filter(actor_id=neighbour_user.pk, after__reason="scope").count() == 70


def test_api_reads_of_personal_data_are_audited(county_user: Any) -> None:
    household = add_household(county_user)
    add_household(county_user, head_id=make_id(seq=555), name="白彩云")
    client = signed_in(county_user)
    client.get("/api/households/")
    client.post("/api/households/lookup/", {"id_number": household.head_id}, content_type="application/json")
    reads = list(AuditEvent.objects.filter(verb=READ_PERSONAL, actor_id=county_user.pk).order_by("id"))
    assert len(reads) == 2
    assert str(household.pk) in reads[0].after["ids"] and reads[1].after["ids"] == [str(household.pk)]
    assert reads[1].after["path"] == "/api/households/lookup/"
