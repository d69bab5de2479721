"""Households to .xlsx: the import template's columns, so an exported file can be corrected and
re-imported. Rows are read in keyset-paginated chunks with three queries per chunk."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.db.models import QuerySet

from codetables.models import Table
from codetables.selectors import choices, names
from exchange.household_columns import TEMPLATE_COLUMNS as COLUMNS
from exchange.household_columns import TEXT_COLUMNS
from exchange.xlsx import write_rows
from exchange.xlsx_stream import write_rows_fast
from households.models import House, Household, HouseholdCategory
from households.privacy import MASKED, WHOLE
from regions.models import Region

CHUNK = 5000
HOUSEHOLD_VALUES = (
    "id",
    "region_code",
    "group_name",
    "archive_no",
    "head_name",
    "head_id_enc",
    "phone_enc",
    "family_size",
    "bank_name",
    "bank_account_enc",
    "only_house",
    "note",
)


def iter_rows(qs: QuerySet[Household], *, unmasked: bool) -> Iterator[list[Any]]:
    regions = dict(Region.objects.values_list("code", "name"))
    category_names = names(Table.HOUSEHOLD_CATEGORY)
    structure_names = names(Table.STRUCTURE_TYPE)
    shown = WHOLE if unmasked else MASKED  # households.privacy; the export has no birth date column
    show_id, show_phone, show_bank = shown.id_number, shown.phone, shown.bank_account
    ordered = qs.order_by("id")
    last = 0
    while True:
        rows = list(ordered.filter(id__gt=last).values_list(*HOUSEHOLD_VALUES)[:CHUNK])
        if not rows:
            return
        ids = [r[0] for r in rows]
        last = ids[-1]
        cats: dict[int, list[str]] = {}
        sources: dict[int, str] = {}
        for hid, code, source in HouseholdCategory.objects.filter(household_id__in=ids, end_date__isnull=True).values_list(
            "household_id", "code", "source"
        ):
            cats.setdefault(hid, []).append(category_names.get(code, code))
            sources.setdefault(hid, source)
        houses: dict[int, tuple[Any, ...]] = {}
        for h in (
            House.objects.filter(household_id__in=ids)
            .order_by("-is_dwelling", "id")
            .values_list("household_id", "structure_type", "year_built", "storeys", "bays", "floor_area", "address")
        ):
            houses.setdefault(h[0], h)
        for hid, code, group, archive, name, id_enc, phone_enc, size, bank, bank_enc, only, note in rows:
            house = houses.get(hid)
            yield [
                code,
                regions.get(code[:9], ""),
                regions.get(code, ""),
                group,
                archive,
                name,
                show_id(Household.head_id.read(id_enc, hid)),  # "无法解密" for a value that does not open here
                show_phone(Household.phone.read(phone_enc, hid)),
                size,
                "、".join(cats.get(hid, [])),
                sources.get(hid, ""),
                bank,
                show_bank(Household.bank_account.read(bank_enc, hid)),
                "是" if only else "否",
                structure_names.get(house[1], house[1]) if house else "",
                house[2] if house else None,
                house[3] if house else None,
                house[4] if house else None,
                float(house[5]) if house and house[5] is not None else None,
                house[6] if house else "",
                note,
            ]


def export(
    path: Path, qs: QuerySet[Household], *, unmasked: bool, title: str, on_progress: Callable[[int], None] | None = None
) -> int:
    keys = [c.key for c in COLUMNS]
    return write_rows_fast(
        path,
        title=title,
        header=[c.header for c in COLUMNS],
        rows=iter_rows(qs, unmasked=unmasked),
        text_columns=[keys.index(k) for k in TEXT_COLUMNS],
        widths=[c.width for c in COLUMNS],
        on_progress=on_progress,
    )


def template(path: Path) -> None:
    """The empty import template: headers, drop-downs for code-table columns, a sheet of notes."""
    keys = [c.key for c in COLUMNS]
    structure = [name for _, name in choices(Table.STRUCTURE_TYPE)]
    category = [name for _, name in choices(Table.HOUSEHOLD_CATEGORY) if len(name) <= 20]
    notes = [("列", "填写说明")] + [
        (
            c.header,
            ("【必填】" if c.required else "") + (c.note or "") + (f"；也可用列名：{'、'.join(c.aliases)}" if c.aliases else ""),
        )
        for c in COLUMNS
    ]
    write_rows(
        path,
        title="农户住房档案导入模板（第 2 行为表头，请从第 3 行开始填写）",
        header=[("*" if c.required else "") + c.header for c in COLUMNS],
        rows=[],
        text_columns=[keys.index(k) for k in TEXT_COLUMNS],
        widths=[c.width for c in COLUMNS],
        validations={
            keys.index("structure_type"): structure,
            keys.index("categories"): category,
            keys.index("only_house"): ["是", "否"],
        },
        notes=notes,
    )
