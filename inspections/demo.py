"""Demo inspection data for a county: trained people, a campaign, inspections and appraisals.

Everything goes through the services, so the demo's audit trail, tasks and house safety records
are exactly what real use would leave behind.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal

from accounts.models import User
from households.models import Household
from inspections import grading, sampling
from inspections.models import (
    AppraisalTask,
    AppraisalTaskStatus,
    Campaign,
    CampaignKind,
    Measure,
    Prevention,
    StratumLevel,
    Verdict,
)
from inspections.services import AppraisalInput, InspectionInput, record_appraisal, record_inspection, start_campaign
from training.models import CourseKind, PersonKind, Trainee
from training.services import add_records, save_course, save_trainee

RISK_BY_COMPONENT = {
    "foundation": "foundation", "walls": "walls", "timber_frame": "beams_columns", "timber_truss": "floor_roof",
    "concrete_frame": "beams_columns", "roof": "floor_roof",
}  # fmt: skip
INSPECTORS = ["高建国", "白海林", "马秀英", "贺志刚"]


def _people(county: str, day: dt.date) -> list[Trainee]:
    """Two appraisers of the county bureau, a sampling firm and two inspectors, all trained this year."""
    region = county.ljust(12, "0")
    specs = [
        ("李鉴定", PersonKind.APPRAISER, "绥德县住房和城乡建设局", "sd_appraiser"),
        ("霍正阳", PersonKind.APPRAISER, "绥德县住房和城乡建设局", None),
        ("陕西华安工程检测有限公司", PersonKind.FIRM, "陕西华安工程检测有限公司", "sd_sampler"),
        ("高建国", PersonKind.STAFF, "名州镇人民政府", "sd_town"),
        ("马秀英", PersonKind.STAFF, "名州镇人民政府", None),
    ]
    people = []
    for name, kind, org, username in specs:
        person = Trainee.objects.filter(region_code=region, name=name).first() or save_trainee(
            actor=None, trainee=None, data={"name": name, "kind": kind, "organisation": org, "region_code": region}
        )
        user = User.objects.filter(username=username).first() if username else None
        if user is not None and person.user_id is None and not Trainee.objects.filter(user=user).exists():
            person.user = user
            person.save(update_fields=["user"])
        people.append(person)
    start = day - dt.timedelta(days=120)
    courses: tuple[tuple[str, str, list[Trainee]], ...] = (
        ("农村房屋安全性鉴定培训班", CourseKind.APPRAISAL, people[:3]),
        ("农村住房安全排查业务培训", CourseKind.INSPECTION, people[3:]),
    )
    for title, course_kind, who in courses:
        course = save_course(
            actor=None, course=None,
            data={"title": f"{start.year}年{title}", "kind": course_kind, "organiser": "榆林市住房和城乡建设局",
                  "start_date": start, "end_date": start + dt.timedelta(days=1), "region_code": region, "hours": 16},
        )  # fmt: skip
        add_records(actor=None, course=course, trainees=who, certificate_prefix=f"YL{start.year}-")
    return people


def _components(rng: random.Random, structure: str, worst: str) -> dict[str, str | None]:
    """Every component of the structure answered, as the form requires: some houses have no truss (无此构件)."""
    keys = grading.applicable(structure)
    grades: dict[str, str | None] = {k: rng.choice("aab") for k in keys}
    if "timber_truss" in keys and rng.random() < 0.3:  # a flat earth or timber roof laid on the walls
        grades["timber_truss"] = grading.ABSENT
    graded = [k for k in keys if grades[k] != grading.ABSENT]
    worst_key = rng.choice(graded)
    grades[worst_key] = worst
    others = [k for k in graded if k != worst_key]  # a second damaged component, never hiding the worst one
    if worst in "cd" and len(others) > 1:
        grades[rng.choice(others)] = rng.choice("bc")
    return grades


def generate(
    *, county: str, share: float = 0.15, suspect_share: float = 0.08, seed: int = 2026,
    today: dt.date | None = None, progress: Callable[[int], None] | None = None,
) -> dict[str, int]:  # fmt: skip
    """A campaign over the county, `share` of its households inspected, suspects mostly appraised."""
    rng = random.Random(seed)
    day = today or dt.date.today()
    if Campaign.objects.filter(scope=county).exists():
        return {"inspections": 0, "appraisals": 0}
    people = _people(county, day)
    appraisers = people[:2]
    start = day - dt.timedelta(days=120)  # an annual campaign begun in the summer: some houses are long appraised
    campaign = start_campaign(actor=None, name=f"{day.year}年农村住房安全隐患排查", kind=CampaignKind.ANNUAL, scope=county,
                              start_date=start, deadline=day + dt.timedelta(days=20))  # fmt: skip
    key_group = dict(Household.objects.within(county).values_list("id", "is_key_group"))
    ids = sorted(key_group)
    chosen = sorted(rng.sample(ids, int(len(ids) * share)))
    inspections = appraisals = 0
    for n, household_id in enumerate(chosen, 1):
        suspect = rng.random() < suspect_share * (3 if key_group[household_id] else 1)  # the poorest live in the worst houses
        worst = rng.choice("bccd") if suspect else rng.choice("aab")
        inspected_on = start + dt.timedelta(days=rng.randrange(0, (day - start).days + 1))
        parts = sorted({RISK_BY_COMPONENT[k] for k in ("walls", "roof") if rng.random() < 0.7} or {"walls"})
        record_inspection(actor=None, data=InspectionInput(
            household_id=household_id, inspected_on=inspected_on, verdict=Verdict.SUSPECT if suspect else Verdict.SAFE,
            campaign_id=campaign.pk, inspector_name=rng.choice(INSPECTORS),
            risk_parts=parts if suspect else [], measure=Measure.APPRAISE if suspect else "",
            household_confirmed=True, confirmed_by="户主", source="field",
        ))  # fmt: skip
        inspections += 1
        task = AppraisalTask.objects.filter(household_id=household_id, status=AppraisalTaskStatus.PENDING).first()
        if suspect and task is not None and task.house_id is not None and rng.random() < 0.75:
            house = task.house
            assert house is not None
            when = min(day, inspected_on + dt.timedelta(days=rng.randrange(1, 15)))
            record_appraisal(actor=None, data=AppraisalInput(
                house_id=house.pk, appraised_on=when, components=_components(rng, house.structure_type, worst),
                prevention=rng.choice([Prevention.PARTLY, Prevention.LACKS, Prevention.HAS]),
                appraiser_ids=[p.pk for p in appraisers], organisation="绥德县住房和城乡建设局",
                conclusion="建议纳入农村危房改造" if worst in "cd" else "加强日常维护", source="field",
            ))  # fmt: skip
            appraisals += 1
        if progress and n % 200 == 0:
            progress(n)
    _sample(county, day, rng, people[2])
    return {"inspections": inspections, "appraisals": appraisals}


def _sample(county: str, day: dt.date, rng: random.Random, firm: Trainee) -> None:
    """A 10% third-party sample by town, two thirds of it re-appraised, a few grades disagreeing."""
    sampler = User.objects.filter(username="sd_sampler").first()
    if sampler is None or firm.user_id != sampler.pk:
        return
    plan = sampling.create_plan(actor=None, data=sampling.PlanInput(
        name=f"{day.year}年第三方抽查（第一批）", scope=county, stratum_level=StratumLevel.TOWN, seed=day.year,
        ratio=Decimal(10), appraised_from=day - dt.timedelta(days=130), appraised_to=day, firm=firm.organisation,
        sampler_ids=[sampler.pk],
    ))  # fmt: skip
    for item in plan.items.select_related("original", "house", "plan").order_by("id"):
        if rng.random() < 0.66:
            original = [g for g in item.original.components.values() if g in grading.COMPONENT_GRADES]
            worst = rng.choice("bcd") if rng.random() < 0.2 else max(original)
            sampling.resample(actor=sampler, item=item, data=AppraisalInput(
                house_id=item.house_id, appraised_on=day, components=_components(rng, item.house.structure_type, worst),
                prevention=Prevention.PARTLY, appraiser_ids=[firm.pk], organisation=firm.organisation,
                conclusion="第三方抽查复核", source="field",
            ))  # fmt: skip
