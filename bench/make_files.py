"""Write N demo households as a .csv and an .xlsx in the import template's shape."""

from __future__ import annotations

import argparse
import csv
import time

from common import OUT, setup_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100000)
    parser.add_argument("--region", default="6108", help="villages under this code")
    parser.add_argument("--seed", type=int, default=77)
    parser.add_argument(
        "--shuffled", action="store_true", help="villages in random order (default: village by village, as ledgers are kept)"
    )
    args = parser.parse_args()
    setup_django()
    from codetables.models import Table
    from codetables.selectors import names
    from exchange.household_columns import TEMPLATE_COLUMNS as COLUMNS
    from exchange.xlsx import write_rows
    from households.demo import Generator

    categories = names(Table.HOUSEHOLD_CATEGORY)
    structures = names(Table.STRUCTURE_TYPE)
    from core.crypto import blind_index
    from households.models import Household

    gen = Generator(args.region, args.seed)
    header = [c.header for c in COLUMNS]
    rows = []
    start = time.perf_counter()
    # new households only: generated ID numbers that are already archived are left out (and made up for)
    candidates = list(gen.households(args.rows + args.rows // 10))
    taken = set()
    for i in range(0, len(candidates), 5000):
        hashes = [blind_index(h.head_id.value) for h in candidates[i : i + 5000]]
        taken |= set(Household.objects.filter(head_id_hash__in=hashes).values_list("head_id_hash", flat=True))
    fresh = [h for h in candidates if blind_index(h.head_id.value) not in taken][: args.rows]
    for h in fresh:
        f, d = h.fields, h.dwelling or {}
        rows.append(
            [
                h.village_code,
                "",
                "",
                f["group_name"],
                "",
                h.head_name,
                h.head_id.value,
                f["phone"],
                f["family_size"],
                "、".join(categories[c] for c in h.categories or []),
                h.category_source,
                f["bank_name"],
                f["bank_account"],
                "是" if f["only_house"] else "否",
                structures[d["structure_type"]],
                d["year_built"],
                d["storeys"],
                str(d["floor_area"]),
                d["address"],
                "",
            ]
        )
    if not args.shuffled:
        rows.sort(key=lambda r: (r[0], r[3]))  # by village, then group
    csv_path = OUT / f"households_{args.rows}.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    xlsx_path = OUT / f"households_{args.rows}.xlsx"
    keys = [c.key for c in COLUMNS]
    write_rows(
        xlsx_path,
        title="农户档案",
        header=header,
        rows=rows,
        text_columns=[keys.index(k) for k in ("village_code", "head_id", "phone", "bank_account")],
    )
    print(f"wrote {csv_path.name} and {xlsx_path.name} ({args.rows:,} rows) in {time.perf_counter() - start:.1f}s")


if __name__ == "__main__":
    main()
