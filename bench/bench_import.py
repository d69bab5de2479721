"""Import throughput: the full pipeline (read, clean, validate, encrypt, write, audit) on new rows."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from common import BENCH_USER, OUT, ROOT, setup_django


def time_inserts() -> dict[str, float]:
    """Wrap core.bulk.insert_rows where the write path uses it, adding up seconds per model."""
    import audit.services
    import households.writer
    from core import bulk

    seconds: dict[str, float] = {}
    original = bulk.insert_rows

    def timed(model, columns, rows):  # type: ignore[no-untyped-def]
        rows = list(rows)  # built before the clock starts: the figure is PostgreSQL's COPY
        start = time.perf_counter()
        count = original(model, columns, rows)
        seconds[model.__name__] = seconds.get(model.__name__, 0.0) + time.perf_counter() - start
        return count

    households.writer.insert_rows = timed  # type: ignore[assignment]
    audit.services.insert_rows = timed  # type: ignore[assignment]
    return seconds


def run_once(path: str, label: str, split: dict[str, float] | None = None) -> float:
    from pathlib import Path

    from accounts.models import User
    from core.context import ActionContext, acting
    from exchange import household_import

    user = User.objects.get(username=BENCH_USER)
    start = time.perf_counter()
    with acting(ActionContext(source="command")):
        parsed = household_import.parse_file(Path(path), Path(path).name, user)
        totals = household_import.run(parsed, user=user)
    elapsed = time.perf_counter() - start
    rate = totals.rows / elapsed
    print(
        json.dumps(
            {
                "bench": f"import_{label}",
                "rows": totals.rows,
                "created": totals.created,
                "rejected": totals.rejected,
                "seconds": round(elapsed, 2),
                "rows_per_s": round(rate),
            }
        )
    )
    if split is not None:
        us = {model: round(secs / max(totals.created, 1) * 1e6, 1) for model, secs in split.items()}
        print(json.dumps({"bench": f"import_{label}_copy_us_per_household", **us}))
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100000)
    parser.add_argument("--format", choices=["csv", "xlsx", "both"], default="both")
    parser.add_argument("--split", action="store_true", help="also print COPY time per table per household")
    args = parser.parse_args()
    setup_django()
    split = time_inserts() if args.split else None
    from households.models import Household

    for fmt in ("csv", "xlsx"):
        if args.format not in (fmt, "both"):
            continue
        # fresh rows each run (the seed follows the database's size), so the figure is for creating households
        seed = 500 + Household.objects.count()
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "make_files.py"), "--rows", str(args.rows), "--seed", str(seed)], check=True
        )
        before = Household.objects.count()
        run_once(str(OUT / f"households_{args.rows}.{fmt}"), fmt, split)
        print(f"  households before {before:,}, after {Household.objects.count():,}")


if __name__ == "__main__":
    main()
