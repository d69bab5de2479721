"""Import throughput: the full pipeline (read, clean, validate, encrypt, write, audit) on new rows."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from common import BENCH_USER, OUT, ROOT, setup_django


def run_once(path: str, label: str) -> float:
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
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100000)
    parser.add_argument("--format", choices=["csv", "xlsx", "both"], default="both")
    args = parser.parse_args()
    setup_django()
    from households.models import Household

    for fmt, seed in (("csv", 501), ("xlsx", 502)):
        if args.format not in (fmt, "both"):
            continue
        # fresh rows each time (a different seed), so the figure is for creating households
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "make_files.py"), "--rows", str(args.rows), "--seed", str(seed)], check=True
        )
        before = Household.objects.count()
        run_once(str(OUT / f"households_{args.rows}.{fmt}"), fmt)
        print(f"  households before {before:,}, after {Household.objects.count():,}")


if __name__ == "__main__":
    main()
