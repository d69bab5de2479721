from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from accounts.roles import Role
from conftest import PASSWORD, SUIDE_VILLAGE, SUIDE_VILLAGE_2, add_household, make_id, make_user
from inspections import sampling
from inspections.models import Appraisal, HouseSafety, SampleItem
from inspections.services import AppraisalInput
from inspections.tests.test_services import appraise
from training.models import PersonKind
from training.services import add_records, save_trainee

TODAY = dt.date.today()


@pytest.fixture
def sampler(db: Any) -> Any:
    return make_user("sd_sampler", "610826", Role.SAMPLER)


@pytest.fixture
def appraised(county_user: Any, appraiser_user: Any, trained_appraiser: Any) -> list[Any]:
    """Six appraised households: four in 名州镇 (610826100), two in 四十里铺镇 (610826101)."""
    households = []
    for n in range(6):
        village = SUIDE_VILLAGE if n < 4 else SUIDE_VILLAGE_2
        h = add_household(county_user, head_id=make_id(seq=200 + n), village=village, name=f"贺{'一二三四五六'[n]}")
        appraise(appraiser_user, h, [trained_appraiser], on=TODAY - dt.timedelta(days=3))
        households.append(h)
    return households


def plan_input(sampler: Any, **kw: Any) -> sampling.PlanInput:
    base: dict[str, Any] = {
        "name": "2026年第三方抽查", "scope": "610826", "stratum_level": "town", "seed": 42, "ratio": Decimal(50),
        "appraised_from": TODAY - dt.timedelta(days=30), "appraised_to": TODAY, "firm": "陕西华安工程检测有限公司",
        "sampler_ids": [sampler.pk],
    }  # fmt: skip
    base.update(kw)
    return sampling.PlanInput(**base)


def test_draw_is_reproducible_and_stratified() -> None:
    pool = {house: (house * 10, ("610826100201" if house % 3 else "610826101200")) for house in range(1, 61)}
    first = sampling.draw(pool, 9, seed=7, ratio=Decimal(10), size=None)
    assert first == sampling.draw(pool, 9, seed=7, ratio=Decimal(10), size=None)
    assert {k: len(v) for k, v in first.items()} == {"610826100": 4, "610826101": 2}  # ceil(40 × 10%), ceil(20 × 10%)
    assert all(pool[h][1].startswith(stratum) for stratum, houses in first.items() for h in houses)
    assert sampling.draw(pool, 9, seed=8, ratio=Decimal(10), size=None) != first
    # a fixed size per stratum, capped at the stratum's population; county strata put everything together
    assert {k: len(v) for k, v in sampling.draw(pool, 9, seed=7, ratio=None, size=30).items()} == {
        "610826100": 30,
        "610826101": 20,
    }
    assert list(sampling.draw(pool, 6, seed=7, ratio=None, size=5)) == ["610826"]
    # new houses in one town leave the other town's draw as it was
    grown = pool | {house: (house * 10, "610826101200") for house in range(61, 90)}
    assert sampling.draw(grown, 9, seed=7, ratio=Decimal(10), size=None)["610826100"] == first["610826100"]


def test_plan_draws_per_town_and_checks_its_input(county_user: Any, sampler: Any, appraised: list[Any]) -> None:
    plan = sampling.create_plan(actor=county_user, data=plan_input(sampler))
    assert (plan.population, plan.item_count) == (6, 3)  # ceil(4 × 50%) + ceil(2 × 50%)
    assert sorted(SampleItem.objects.values_list("stratum", flat=True)) == ["610826100", "610826100", "610826101"]
    again = sampling.create_plan(actor=county_user, data=plan_input(sampler, name="同一种子再抽一次"))
    assert set(again.items.values_list("house_id", flat=True)) == set(plan.items.values_list("house_id", flat=True))
    with pytest.raises(ValidationError) as err:
        sampling.create_plan(actor=county_user, data=plan_input(sampler, size=2, name=" ", sampler_ids=[county_user.pk]))
    text = str(err.value)
    assert "只填写其中一项" in text and "请填写抽查名称" in text and "第三方抽查机构" in text
    with pytest.raises(ValidationError, match="没有已鉴定的房屋"):
        sampling.create_plan(actor=county_user, data=plan_input(sampler, appraised_to=TODAY - dt.timedelta(days=20)))
    with pytest.raises(PermissionDenied):
        sampling.create_plan(actor=sampler, data=plan_input(sampler))
    assert not sampling.plans_for(make_user("mz_county", "610827", Role.COUNTY_STAFF)).exists()  # the next county


def firm_person(county_user: Any, trained_appraiser: Any, sampler: Any) -> Any:
    firm = save_trainee(actor=county_user, trainee=None, data={
        "name": "陕西华安工程检测有限公司", "kind": PersonKind.FIRM, "organisation": "陕西华安工程检测有限公司",
        "region_code": "610826000000"})  # fmt: skip
    firm.user = sampler
    firm.save(update_fields=["user"])
    add_records(actor=county_user, course=trained_appraiser.records.get().course, trainees=[firm])
    return firm


def review_input(firm: Any, components: dict[str, str | None]) -> AppraisalInput:
    return AppraisalInput(house_id=0, appraised_on=TODAY, components=components, prevention="partly",
                          appraiser_ids=[firm.pk], organisation="陕西华安工程检测有限公司")  # fmt: skip


def test_review_compares_with_the_original_and_leaves_the_grade_alone(
    county_user: Any, sampler: Any, appraised: list[Any], trained_appraiser: Any
) -> None:
    firm = firm_person(county_user, trained_appraiser, sampler)
    plan = sampling.create_plan(actor=county_user, data=plan_input(sampler, ratio=Decimal(100)))
    first, second = list(plan.items.order_by("id"))[:2]
    same = sampling.resample(actor=sampler, item=first, data=review_input(firm, {"foundation": "a", "walls": "c", "roof": "a"}))
    data = review_input(firm, {"foundation": "a", "walls": "d", "roof": "b"})
    data.uid = uuid.uuid4()
    differs = sampling.resample(actor=sampler, item=second, data=data)
    assert sampling.resample(actor=sampler, item=SampleItem.objects.get(pk=second.pk), data=data).pk == differs.pk
    assert (same.kind, same.grade, differs.grade) == ("sampling", "C", "D")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.agrees, second.agrees) == (True, False)
    assert HouseSafety.objects.get(house=second.house).grade == "C"  # a re-appraisal does not change the grade in force
    rows = sampling.disagreement_rows(plan.items.all())
    assert len(rows) == 1 and rows[0][4] == "C" and rows[0][7] == "D" and "承重墙体 d" in rows[0][9]
    other = make_user("other_firm", "610826", Role.SAMPLER)
    with pytest.raises(PermissionDenied, match="没有分配给您"):
        sampling.resample(actor=other, item=plan.items.exclude(status="done").first(), data=review_input(firm, {"walls": "a"}))


def test_a_review_with_blanks_grades_nothing(
    county_user: Any, sampler: Any, appraised: list[Any], trained_appraiser: Any
) -> None:
    """The firm's re-appraisal is the same form: a blank is refused by name and the sample stays open (ADR 0031)."""
    firm = firm_person(county_user, trained_appraiser, sampler)
    plan = sampling.create_plan(actor=county_user, data=plan_input(sampler, ratio=Decimal(100)))
    item = plan.items.order_by("id").first()
    assert item is not None
    with pytest.raises(ValidationError, match="以下构件尚未评定：地基基础、屋面。"):
        sampling.resample(actor=sampler, item=item, data=review_input(firm, {"walls": "d"}))
    item.refresh_from_db()
    assert (item.status, item.review, item.agrees) == ("pending", None, None)
    assert not Appraisal.objects.filter(kind="sampling").exists()
    answered = {"foundation": "a", "walls": "d", "roof": "none"}
    review = sampling.resample(actor=sampler, item=item, data=review_input(firm, answered))
    assert review.grade == "D" and sampling.findings(review) == "地基基础 a；承重墙体 d；屋面 无此构件"


def test_sampler_pages_show_only_the_sample(county_user: Any, sampler: Any, appraised: list[Any], trained_appraiser: Any) -> None:
    firm = firm_person(county_user, trained_appraiser, sampler)
    plan = sampling.create_plan(actor=county_user, data=plan_input(sampler))
    client = Client()
    assert client.login(username="sd_sampler", password=PASSWORD)
    page = client.get(f"/inspections/sampling/{plan.pk}/").content.decode()
    sampled = {i.household.head_name for i in plan.items.select_related("household")}
    assert all(name in page for name in sampled)
    assert not any(h.head_name in page for h in appraised if h.head_name not in sampled)
    assert "原鉴定" not in page  # the firm re-appraises blind
    assert client.get(f"/households/{appraised[0].pk}/").status_code in (403, 404)
    assert client.get(f"/inspections/sampling/{plan.pk}/disagreements/").status_code == 403
    item = plan.items.order_by("id").first()
    assert item is not None
    form = client.get(f"/inspections/sampling/items/{item.pk}/review/")
    assert "第三方抽查复核" in form.content.decode()
    response = client.post(f"/inspections/sampling/items/{item.pk}/review/", {
        "uid": str(uuid.uuid4()), "appraised_on": TODAY.isoformat(), "organisation": "陕西华安工程检测有限公司",
        "appraisers": [str(firm.pk)], "prevention": "partly", "c_foundation": "a", "c_walls": "d", "c_roof": "a",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    review = Appraisal.objects.get(kind="sampling")
    assert client.get(response["Location"]).status_code == 200  # the firm sees its own re-appraisal
    assert client.get(f"/inspections/appraisals/{item.original_id}/").status_code == 404  # not the original
    county = Client()
    assert county.login(username="sd_county", password=PASSWORD)
    listing = county.get(f"/inspections/sampling/{plan.pk}/disagreements/").content.decode()
    assert review.grade == "D" and "承重墙体 d" in listing and "不一致" in listing
    book = openpyxl.load_workbook(
        io.BytesIO(b"".join(county.get(f"/inspections/sampling/{plan.pk}/disagreements/?format=xlsx").streaming_content))
    )  # type: ignore[attr-defined]
    values = [c for row in book.active.iter_rows(values_only=True) for c in row]
    assert "D" in values and "C" in values and item.household.head_name[0] + "*" in values
