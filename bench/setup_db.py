"""Prepare a benchmark database: migrate, regions, the bench user, and N households over Yulin."""

from __future__ import annotations

import argparse
import time

from common import BENCH_USER, setup_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=1000000)
    parser.add_argument("--region", default="6108")
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import create_user
    from households.demo import generate
    from households.models import Household

    call_command("migrate", verbosity=0)
    call_command("load_regions", verbosity=0)
    if not User.objects.filter(username=BENCH_USER).exists():
        create_user(actor=None, username=BENCH_USER, password="Bench#2026pw", region_code="61", roles=[Role.COUNTY_STAFF])
    have = Household.objects.count()
    need = args.households - have
    if need > 0:
        start = time.perf_counter()
        generate(
            county=args.region,
            count=need,
            seed=have + 1,
            progress=lambda n: print(f"\r  {have + n:,} households ({n / (time.perf_counter() - start):,.0f}/s)", end=""),
        )
        print()
    print(f"households: {Household.objects.count():,}")


if __name__ == "__main__":
    main()
