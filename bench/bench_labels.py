"""Printing house labels: N labels (one A5 page each, QR code, policy card) into one PDF."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time

from common import OUT, setup_django


def ensure_checked(n: int) -> None:
    """Give houses a safety record (as an inspection would) until at least n exist."""
    from households.models import House
    from inspections.models import HouseSafety
    from inspections.services import new_code

    missing = n - HouseSafety.objects.count()
    if missing <= 0:
        return
    houses = House.objects.filter(safety__isnull=True).values_list("pk", "household_id", "region_code")[:missing]
    HouseSafety.objects.bulk_create(
        [HouseSafety(house_id=h, household_id=hh, region_code=rc, verdict="safe", checked_on=dt.date.today(), code=new_code())
         for h, hh, rc in houses], batch_size=1000)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--labels", type=int, default=1000)
    args = parser.parse_args()
    setup_django()
    from inspections import labels
    from inspections.models import HouseSafety

    ensure_checked(args.labels)
    qs = HouseSafety.objects.select_related("household").order_by("pk")[: args.labels]
    path = OUT / "labels.pdf"
    start = time.perf_counter()
    pages = labels.write_pdf(path, qs)
    seconds = time.perf_counter() - start
    print(json.dumps({"bench": "labels_pdf", "labels": pages, "seconds": round(seconds, 1),
                      "labels_per_s": round(pages / seconds, 1), "pdf_mb": round(path.stat().st_size / 1e6, 1)}))  # fmt: skip


if __name__ == "__main__":
    main()
