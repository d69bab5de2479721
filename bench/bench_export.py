"""Export of every household visible to a province user to .xlsx (the same code the worker runs)."""

from __future__ import annotations

import json
import time

from common import BENCH_USER, OUT, setup_django


def main() -> None:
    setup_django()
    from accounts.models import User
    from exchange.household_export import export
    from households.models import Household

    user = User.objects.get(username=BENCH_USER)
    qs = Household.objects.visible_to(user)
    path = OUT / "export_all.xlsx"
    start = time.perf_counter()
    rows = export(
        path,
        qs,
        unmasked=False,
        title="农户档案",
        on_progress=lambda n: print(f"\r  {n:,} rows ({n / (time.perf_counter() - start):,.0f}/s)", end=""),
    )
    elapsed = time.perf_counter() - start
    print()
    print(
        json.dumps(
            {
                "bench": "export_xlsx",
                "rows": rows,
                "seconds": round(elapsed, 1),
                "rows_per_s": round(rows / elapsed),
                "mb": round(path.stat().st_size / 1e6, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
