"""First page of filtered household lists, rendered as a user gets them (view, count, template)."""

from __future__ import annotations

import argparse
import json
from functools import partial

from common import BENCH_USER, percentiles, setup_django, timed

FILTERS = [
    ("no filter", ""),
    ("category", "category=minimum_income"),
    ("key groups", "key_group=1"),
    ("structure", "structure_type=cave_earth"),
    ("built 1980-1989", "year_from=1980&year_to=1989"),
    ("name prefix", "q=王"),
    ("town", "region=610826100"),
    ("county + category + structure", "region=610826&category=registered_poor&structure_type=cave_stone"),
    ("sorted by name", "sort=name"),
    ("last page-ish", "page=150"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    setup_django()
    from django.test import Client

    from accounts.models import User
    from households.models import Household

    client = Client()
    client.force_login(User.objects.get(username=BENCH_USER))
    total = Household.objects.count()
    worst = 0.0
    for label, query in FILTERS:
        url = f"/households/?{query}"
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        samples = [timed(partial(client.get, url)) for _ in range(args.runs)]
        p = percentiles(samples)
        worst = max(worst, p["p99"])
        print(
            json.dumps(
                {"bench": "list_first_page", "filter": label, "households": total, **{k: round(v, 1) for k, v in p.items()}},
                ensure_ascii=False,
            )
        )
    print(json.dumps({"bench": "list_first_page", "worst_p99_ms": round(worst, 1)}))


if __name__ == "__main__":
    main()
