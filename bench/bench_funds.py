"""Renovation money at scale: a disbursement batch of 50,000 payments, its bank return file, and the
daily ranking for a city with 100,000 open cases (targets: under 10 s, 10 s and 1 s on PostgreSQL).
The batch is built and approved with the subsidy standards checked (funds.standards: the city's C
repair standard of 5,000 yuan, saved when missing) and the fraud screens run (house paid once, grade,
shared accounts); the return file reads its results from the bank's word table, with 1 % failed,
0.5 % still 处理中 and 0.2 % 未成功 (left unmatched for a person, never paid).

Seeds, when the database has no cases yet, 100,000 cases over the city's dwellings (appraised C,
states spread over the workflow) of which 50,000 in the largest county are accepted repairs of
5,000 yuan for households with a bank account. The seeding writes rows directly (bulk inserts);
what is timed goes through the services exactly as users do.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import time
import uuid
from decimal import Decimal

from common import BENCH_USER, OUT, percentiles, setup_django, timed

STATES = ["application", "village_notice", "town_notice", "county_notice", "agreed", "started", "completed", "accepted"]


def seed(region: str, cases: int, payable: int, year: int) -> str:
    from django.db.models import Count
    from django.db.models.functions import Substr

    from households.models import House
    from inspections.models import Appraisal
    from renovation.models import Case

    counts = (
        House.objects.filter(region_code__startswith=region, is_dwelling=True, household__bank_account_hash__gt="")
        .annotate(c=Substr("region_code", 1, 6))
        .values("c")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    big = counts[0]["c"]
    if Case.objects.exists():
        return big
    rng = random.Random(3)
    start = time.perf_counter()
    houses = House.objects.filter(region_code__startswith=region, is_dwelling=True).order_by("id")
    columns = ("id", "household_id", "region_code")
    in_big = list(houses.filter(region_code__startswith=big, household__bank_account_hash__gt="").values_list(*columns)[:payable])
    others = list(houses.exclude(region_code__startswith=big).values_list(*columns)[: cases - len(in_big)])
    picked = in_big + others
    appraised_on = dt.date(year, 3, 1)
    appraisals = [
        Appraisal(uid=uuid.uuid4(), household_id=h, house_id=house, region_code=rc, structure_type="cave_earth",
                  components={"walls": "c"}, computed_grade="C", rule="R3", grade="C", prevention="partly", organisation="压测",
                  appraised_on=appraised_on)
        for house, h, rc in picked
    ]  # fmt: skip
    Appraisal.objects.bulk_create(appraisals, batch_size=5000)
    by_house = dict(Appraisal.objects.filter(organisation="压测").values_list("house_id", "id"))
    made = []
    for n, (house, h, rc) in enumerate(picked):
        state = "accepted" if n < len(in_big) else rng.choice(STATES)
        accepted_on = dt.date(year, 8, 1) if state == "accepted" else None
        made.append(Case(household_id=h, house_id=house, appraisal_id=by_house[house], region_code=rc, year=year, grade="C",
                         state=state, deadline=dt.date(year, 11, 30), mode="repair", build_method="self",
                         subsidy=Decimal(5000), family_size=3, accepted_on=accepted_on))  # fmt: skip
    Case.objects.bulk_create(made, batch_size=5000)
    print(f"  seeded {len(made):,} cases ({len(in_big):,} payable in {big}) in {time.perf_counter() - start:.0f} s", flush=True)
    return big


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--region", default="6108")
    parser.add_argument("--cases", type=int, default=100000)
    parser.add_argument("--payments", type=int, default=50000)
    args = parser.parse_args()
    setup_django()
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import create_user
    from funds import services
    from funds.models import BankReturn, DisbursementBatch, Payment
    from renovation import selectors

    year = timezone.localdate().year
    county = seed(args.region, args.cases, args.payments, year)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    maker = User.objects.get(username=BENCH_USER)
    checker = User.objects.filter(username="bench_checker").first() or create_user(
        actor=None, username="bench_checker", password="Bench#2026pw", region_code="61", roles=[Role.COUNTY_STAFF]
    )
    BankReturn.objects.filter(batch__region_code=county.ljust(12, "0")).delete()
    Payment.objects.filter(batch__region_code=county.ljust(12, "0")).delete()
    DisbursementBatch.objects.filter(region_code=county.ljust(12, "0")).delete()
    from renovation.models import Case

    Case.objects.filter(region_code__startswith=county, state="paid").update(state="accepted", paid_on=None)  # a rerun pays again

    from funds.models import SubsidyStandard

    SubsidyStandard.objects.get_or_create(
        year=year, region_prefix=args.region, grade="C", mode="repair",
        defaults={"amount": Decimal(5000), "source_document": "压测补助标准"},
    )  # fmt: skip
    start = time.perf_counter()
    plan = services.build_batch(actor=maker, county=county, year=year)
    build_s = time.perf_counter() - start
    batch = plan.batch
    assert batch is not None
    start = time.perf_counter()
    services.approve_batch(actor=checker, batch_id=batch.pk)
    approve_s = time.perf_counter() - start
    sent = OUT / "bank.csv"
    services.issue_bank_file(actor=maker, batch_id=batch.pk)
    start = time.perf_counter()
    lines = services.bank_file(actor=maker, batch_id=batch.pk, path=sent)
    file_s = time.perf_counter() - start
    back = OUT / "bank_return.csv"
    rng = random.Random(5)
    with sent.open(encoding="utf-8-sig") as src, back.open("w", newline="", encoding="utf-8-sig") as out:
        reader, writer = csv.reader(src), csv.writer(out)
        writer.writerow([*next(reader), "处理结果", "失败原因"])
        for row in reader:
            draw = rng.random()
            words = (
                ("失败", "账户已销户")
                if draw < 0.01
                else ("处理中", "")
                if draw < 0.015
                else ("未成功", "")
                if draw < 0.017
                else ("成功", "")
            )
            writer.writerow([*row, *words])
    start = time.perf_counter()
    result = services.import_return(actor=maker, batch_id=batch.pk, path=back, original_name="bank_return.csv")
    return_s = time.perf_counter() - start
    today = timezone.localdate()
    ranking = percentiles([timed(lambda: selectors.ranking(args.region, year, today)) for _ in range(10)])
    rows = selectors.ranking(args.region, year, today)
    print(json.dumps({
        "bench": "funds", "county": county, "payments": batch.count, "total_yuan": str(batch.total),
        "left_out": len(plan.skipped), "build_batch_s": round(build_s, 1), "approve_s": round(approve_s, 1),
        "bank_file_s": round(file_s, 1), "bank_file_lines": lines,
        "import_return_s": round(return_s, 1), "paid": result.bank_return.paid, "failed": result.bank_return.failed,
        "waiting": len(result.bank_return.waiting), "unmatched": len(result.bank_return.unmatched),
        "ranking_cases": sum(r.plan for r in rows), "ranking_units": len(rows),
        "ranking_ms": {k: round(v) for k, v in ranking.items()},
    }))  # fmt: skip


if __name__ == "__main__":
    main()
