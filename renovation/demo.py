"""Demo renovation for a county: cases for its C and D houses of key-group households, spread over the
workflow (some waiting for each level, some under construction, accepted, paid), with standards,
an allocation and a paid batch. Everything goes through the services."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from accounts.models import User
from core.images import sample_jpeg
from field.sync import attach_upload, field_capture
from funds import services as funds
from inspections.models import AppraisalKind, HouseSafety
from inspections.services import AppraisalInput, record_appraisal
from renovation import notices, services, workflow
from renovation.dates import clock_at
from renovation.models import Case
from training.models import CourseKind, PersonKind, Trainee
from training.services import add_records, save_course, save_trainee

STANDARDS = (("C", "repair", 5000), ("D", "rebuild_onsite", 25000), ("D", "turnkey", 40000))


def _craftsman(county: str, day: dt.date) -> Trainee:
    region = county.ljust(12, "0")
    person = Trainee.objects.filter(region_code=region, name="刘建军").first()
    if person is None:
        data = {
            "name": "刘建军",
            "kind": PersonKind.CRAFTSMAN,
            "region_code": region,
            "organisation": "个体建筑工匠",
            "licence_no": "GJ-610826-017",
        }
        person = save_trainee(actor=None, trainee=None, data=data)
        course = save_course(
            actor=None,
            course=None,
            data={
                "title": f"{day.year}年农村建筑工匠培训班",
                "kind": CourseKind.CONSTRUCTION,
                "organiser": "绥德县住房和城乡建设局",
                "start_date": day - dt.timedelta(days=90),
                "end_date": day - dt.timedelta(days=89),
                "region_code": region,
            },
        )
        add_records(actor=None, course=course, trainees=[person], certificate_prefix="GJ")
    return person


def generate(*, county: str = "610826", seed: int = 2026, today: dt.date | None = None) -> int:
    day = today or dt.date.today()
    if Case.objects.filter(region_code__startswith=county).exists():
        return 0
    office = User.objects.filter(username="sd_county").first()
    appraiser = Trainee.objects.filter(user__username="sd_appraiser").first()
    if office is None or appraiser is None:
        return 0
    rng = random.Random(seed)
    craftsman = _craftsman(county, day)
    houses = HouseSafety.objects.filter(region_code__startswith=county, grade__in=["C", "D"], household__is_key_group=True)
    cases = []
    for safety in houses.select_related("house").order_by("pk"):
        appraisal = services._latest_appraisal(safety.house)
        try:  # opened the day the house was appraised (the steps that follow are entered on their own days)
            with clock_at(appraisal.appraised_on if appraisal else day):
                cases.append(services.open_case(actor=None, house_id=safety.house_id, year=day.year))
        except Exception:
            continue
    accepted: list[Case] = []
    towns: dict[str, list[Case]] = {}
    for c in cases:
        towns.setdefault(c.region_code[:9], []).append(c)
    for grade, mode, amount in STANDARDS:  # before the agreements: their subsidy is checked against them
        funds.save_standard(
            actor=None,
            data={
                "year": day.year,
                "region_prefix": county,
                "grade": grade,
                "mode": mode,
                "amount": Decimal(amount),
                "source_document": f"榆政办发〔{day.year}〕18号",
            },
        )
    for town, group in towns.items():
        accepted += _advance(town, county, group, day, rng, craftsman, appraiser, office)
    funds.allocate(
        actor=None,
        county=county,
        year=day.year,
        level="province",
        document_no=f"陕财办社〔{day.year}〕45号",
        issued_on=day - dt.timedelta(days=100),
        amount=Decimal(3_000_000),
        note="中央和省级补助资金",
    )
    paid = [c.pk for c in accepted[: len(accepted) // 2]]
    if paid:
        batch = funds.build_batch(actor=None, county=county, year=day.year, case_ids=paid).batch
        if batch is not None:
            funds.approve_batch(actor=office, batch_id=batch.pk)
            _bank_round_trip(office, batch.pk)
    return len(cases)


def _bank_round_trip(office: User, batch_id: int) -> None:
    """The bank file goes out and comes back all paid, through the same import as a real return file."""
    import csv

    from core.uploads import temporary

    funds.issue_bank_file(actor=office, batch_id=batch_id)
    with temporary(".csv") as sent, temporary(".csv") as back:  # in VAR_DIR/tmp, deleted after
        funds.bank_file(actor=office, batch_id=batch_id, path=sent)
        with sent.open(encoding="utf-8-sig") as src, back.open("w", newline="", encoding="utf-8-sig") as out:
            reader, writer = csv.reader(src), csv.writer(out)
            writer.writerow([*next(reader), "处理结果", "失败原因"])
            writer.writerows([*row, "成功", ""] for row in reader)
        funds.import_return(actor=office, batch_id=batch_id, path=back, original_name="回盘.csv")


# Days after the last appraisal in a town at which each step happens (notices last 7, 7 and 5 days).
AT = {
    "village_review": 1,
    "village_notice": 1,
    "town_review": 9,
    "town_notice": 10,
    "county_approve": 18,
    "county_notice": 19,
    "agree": 26,
    "start": 30,
    "structure_done": 45,
    "complete": 60,
    "reappraise": 62,
    "accept": 64,
    "demolish": 66,
}


def _advance(
    town: str,
    county: str,
    group: list[Case],
    day: dt.date,
    rng: random.Random,
    craftsman: Trainee,
    appraiser: Trainee,
    office: User,
) -> list[Case]:
    """Move a town's cases together along one timeline, as far as today allows, some staying behind at each step;
    each step is entered on its own day (renovation.dates.clock_at), so the notice periods and stage gaps hold."""
    dates = sorted(c.appraisal.appraised_on for c in group)
    t0 = dates[len(dates) // 2]  # the town moves the cases appraised by then; later ones wait for the next round
    group = [c for c in group if c.appraisal.appraised_on <= t0]

    def due(step: str) -> dt.date | None:
        when = t0 + dt.timedelta(days=AT[step])
        return when if when <= day else None

    def keep(cases: list[Case], share: float) -> list[Case]:
        return [c for c in cases if rng.random() < share]

    moving = keep(group, 0.85)
    if not moving or not due("village_notice"):
        return []
    for village in sorted({c.region_code for c in moving}):
        ids = [c.pk for c in moving if c.region_code == village]
        with clock_at(due("village_review")):  # type: ignore[arg-type]
            services.transition_many(actor=None, case_ids=ids, action="village_review")
        with clock_at(due("village_notice")):  # type: ignore[arg-type]
            notices.publish(actor=None, level="village", scope=village, case_ids=ids, start_date=due("village_notice"))  # type: ignore[arg-type]
    moving = keep(moving, 0.9)
    for step, level, scope in (("town_review", "town", town), ("county_approve", "county", county)):
        notice_day = due(f"{level}_notice")
        if not moving or notice_day is None:
            return []
        with clock_at(due(step)):  # type: ignore[arg-type]
            services.transition_many(actor=None, case_ids=[c.pk for c in moving], action=step)
        if level == "county":  # the county's notice lists this town's cases; other towns get theirs
            scope = county
        with clock_at(notice_day):
            notices.publish(actor=None, level=level, scope=scope, case_ids=[c.pk for c in moving], start_date=notice_day)
        moving = keep(moving, 0.85)
    accepted = []
    for c in moving:
        if not due("agree"):
            break
        mode = "repair" if c.grade == "C" else rng.choice(["rebuild_onsite", "rebuild_onsite", "turnkey"])
        agreed_on: dt.date = due("agree")  # type: ignore[assignment]
        with clock_at(agreed_on):
            _agree(c, mode, rng, craftsman)
        steps = ["start", *(["structure_done"] if mode != "repair" else []), "complete"]
        for step in steps:
            when = due(step)
            if when is None or rng.random() < 0.15:
                break
            part = services.STAGE_PHOTOS[step]
            with clock_at(when):
                attach_upload(
                    actor=office,
                    kind="case",
                    record_uid=c.uid,
                    part=part,
                    data=sample_jpeg(f"{part} {c.uid}"),
                    capture=field_capture(c.house),  # the field app's fix and time: a stage needs a located photo
                )
                services.transition(actor=None, case_id=c.pk, action=step)
        c.refresh_from_db()
        reappraised_on, accepted_on = due("reappraise"), due("accept")
        if c.state != workflow.COMPLETED or reappraised_on is None or accepted_on is None:
            continue
        with clock_at(accepted_on):
            _reappraise_and_accept(c, reappraised_on, accepted_on, appraiser)
        if mode != "repair" and (demolished_on := due("demolish")):
            with clock_at(demolished_on):
                services.transition(actor=None, case_id=c.pk, action="demolish")
        accepted.append(c)
    return accepted


def _agree(c: Case, mode: str, rng: random.Random, craftsman: Trainee) -> None:
    subsidy = {"repair": 5000, "rebuild_onsite": 25000, "turnkey": 40000}[mode]
    services.set_terms(
        actor=None,
        case_id=c.pk,
        terms=services.Terms(
            mode=mode,
            build_method="self",
            subsidy=Decimal(subsidy),
            builder_id=craftsman.pk,
            planned_area=None if mode == "repair" else Decimal(rng.choice([45, 50, 55])),
        ),
    )
    services.transition(actor=None, case_id=c.pk, action="agree")


def _reappraise_and_accept(c: Case, reappraised_on: dt.date, accepted_on: dt.date, appraiser: Trainee) -> None:
    from inspections.grading import applicable

    keys = applicable(c.house.structure_type)
    record_appraisal(
        actor=None,
        data=AppraisalInput(
            house_id=c.house_id,
            appraised_on=reappraised_on,
            components=dict.fromkeys(keys, "a"),
            prevention="has",
            appraiser_ids=[appraiser.pk],
            organisation=appraiser.organisation or "绥德县住建局",
            kind=AppraisalKind.ORIGINAL,
        ),
    )
    checklist = dict.fromkeys(services.ACCEPTANCE_ITEMS, "ok")
    services.accept(
        actor=None,
        case_id=c.pk,
        data=services.AcceptanceInput(
            checklist=checklist,
            household_agrees=True,
            household_signatory=c.household.head_name,
            inspectors="县乡联合验收组",
            accepted_on=accepted_on,
        ),
    )
