"""The weekly inspection statistics table for a whole city (domain section 10), on screen and as Excel.

Seeds inspections for a share of the households (over the last eight weeks, a few suspect, half of
those appraised) if the database has none, then times the table for the city, the same through the
page as a user gets it, and the Excel file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time
import uuid

from common import BENCH_USER, percentiles, setup_django, timed


def seed(share: float, region: str) -> None:
    from households.models import House
    from inspections.models import Appraisal, Inspection

    if Inspection.objects.exists():
        return
    rng = random.Random(7)
    today = dt.date.today()
    start = time.perf_counter()
    batch: list[Inspection] = []
    appraisals: list[Appraisal] = []
    rows = House.objects.filter(is_dwelling=True, region_code__startswith=region).values_list("id", "household_id", "region_code")
    for house, household, code in rows.iterator(chunk_size=20000):
        if rng.random() >= share:
            continue
        suspect = rng.random() < 0.06
        day = today - dt.timedelta(days=rng.randrange(56))
        batch.append(Inspection(uid=uuid.uuid4(), household_id=household, house_id=house, region_code=code, inspector_name="压测",
                                inspected_on=day, verdict="suspect" if suspect else "safe",
                                risk_parts=["walls"] if suspect else [], measure="appraise" if suspect else ""))  # fmt: skip
        if suspect and rng.random() < 0.5:
            grade = rng.choice("BCCD")
            appraisals.append(Appraisal(uid=uuid.uuid4(), household_id=household, house_id=house, region_code=code,
                                        structure_type="cave_earth", components={"walls": grade.lower()}, computed_grade=grade,
                                        rule="R3", grade=grade, prevention="partly", organisation="压测",
                                        appraised_on=min(today, day + dt.timedelta(days=3))))  # fmt: skip
        if len(batch) >= 10000:
            Inspection.objects.bulk_create(batch)
            batch.clear()
            print(f"\r  {Inspection.objects.count():,} inspections", end="", flush=True)
    Inspection.objects.bulk_create(batch)
    Appraisal.objects.bulk_create(appraisals, batch_size=5000)
    took = time.perf_counter() - start
    print(f"\n  seeded {Inspection.objects.count():,} inspections, {len(appraisals):,} appraisals in {took:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--region", default="6108")
    parser.add_argument("--share", type=float, default=0.6)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    setup_django()
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from households.models import Household
    from inspections import selectors

    seed(args.share, args.region)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ANALYZE")
    week_end = selectors.last_thursday(dt.date.today())
    households = Household.objects.filter(region_code__startswith=args.region).count()
    table = selectors.weekly_table(args.region, week_end)
    assert table.total.values["households"] == households, table.total.values
    direct = percentiles([timed(lambda: selectors.weekly_table(args.region, week_end)) for _ in range(args.runs)])
    client = Client()
    user = User.objects.get(username=BENCH_USER)
    client.force_login(user)
    url = f"/inspections/weekly/?unit={args.region}&week_end={week_end.isoformat()}"
    assert client.get(url).status_code == 200
    page = percentiles([timed(lambda: client.get(url)) for _ in range(args.runs)])

    def download() -> bytes:
        return b"".join(client.get(url + "&format=xlsx").streaming_content)  # type: ignore[attr-defined]

    excel = percentiles([timed(download) for _ in range(3)])
    print(json.dumps({
        "bench": "weekly_table", "region": args.region, "households": households,
        "inspected": table.total.values["inspected"], "rows": len(table.rows),
        "table_ms": {k: round(v) for k, v in direct.items()}, "page_ms": {k: round(v) for k, v in page.items()},
        "xlsx_ms": {k: round(v) for k, v in excel.items()},
    }, ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
