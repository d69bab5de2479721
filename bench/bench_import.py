"""Import throughput: the full pipeline (read, clean, validate, encrypt, write, audit) on new rows."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from common import BENCH_USER, OUT, ROOT, setup_django


def machine_cpu() -> float:
    """CPU seconds every process on this machine has used (not idle, not waiting for the disk). Less
    this process's own, that is PostgreSQL's: an import writes on a second connection (core.overlap),
    so one backend's figure would miss the writes. Run with nothing else busy."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def backend_cpu() -> float:
    """CPU seconds the PostgreSQL backend serving this thread's connection has used (server on this machine)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_inserts() -> dict[str, float]:
    """Wrap core.bulk's inserts where the write path uses them, adding up the PostgreSQL backend's CPU
    seconds per model (its own work, not the time spent waiting for the client's rows)."""
    import audit.services
    import households.writer
    from core import bulk

    seconds: dict[str, float] = {}

    def timing(original):  # type: ignore[no-untyped-def]
        def timed(model, columns, rows):  # type: ignore[no-untyped-def]
            rows = list(rows)
            start = backend_cpu()
            count = original(model, columns, rows)
            seconds[model.__name__] = seconds.get(model.__name__, 0.0) + backend_cpu() - start
            return count

        return timed

    households.writer.insert_encoded = timing(bulk.insert_encoded)  # type: ignore[attr-defined]
    audit.services.insert_rows = timing(bulk.insert_rows)  # type: ignore[attr-defined]
    return seconds


def run_once(path: str, label: str, split: dict[str, float] | None = None) -> float:
    from accounts.models import User
    from core.context import ActionContext, acting
    from exchange import household_import

    user = User.objects.get(username=BENCH_USER)
    if split is not None:
        split.clear()  # per run
    start, python, machine = time.perf_counter(), time.process_time(), machine_cpu()
    with acting(ActionContext(source="command")):
        parsed = household_import.parse_file(Path(path), Path(path).name, user)
        totals = household_import.run(parsed, user=user)
    elapsed = time.perf_counter() - start
    python = time.process_time() - python
    postgres = machine_cpu() - machine - python
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
                "cpu_us_per_row": {"python": round(python / totals.rows * 1e6), "postgres": round(postgres / totals.rows * 1e6)},
            }
        )
    )
    if split is not None:
        us = {model: round(secs / max(totals.created, 1) * 1e6, 1) for model, secs in split.items()}
        print(json.dumps({"bench": f"import_{label}_postgres_cpu_us_per_household_by_table", **us}))
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100000)
    parser.add_argument("--format", choices=["csv", "xlsx", "both"], default="both")
    parser.add_argument("--split", action="store_true", help="also print PostgreSQL's CPU per table per household")
    parser.add_argument("--shuffled", action="store_true", help="villages in random order in the file")
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
            [sys.executable, str(ROOT / "bench" / "make_files.py"), "--rows", str(args.rows), "--seed", str(seed)]
            + (["--shuffled"] if args.shuffled else []),
            check=True,
        )
        before = Household.objects.count()
        run_once(str(OUT / f"households_{args.rows}.{fmt}"), fmt, split)
        print(f"  households before {before:,}, after {Household.objects.count():,}")


if __name__ == "__main__":
    main()
