"""Households to .xlsx: the import template's columns, so an exported file can be corrected and
re-imported, or a county's own ledger columns (its saved ColumnMapping), so it gets its ledger back
in the shape it keeps. Rows are read in keyset-paginated chunks with three queries per chunk (four
for a ledger kept one row per person: its members)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.db.models import QuerySet

from codetables.models import Table
from codetables.selectors import choices, names
from exchange.household_columns import BY_KEY, IGNORED_HEADERS, TEXT_COLUMNS, normalise_header
from exchange.household_columns import TEMPLATE_COLUMNS as COLUMNS
from exchange.models import ColumnMapping
from exchange.xlsx import write_rows
from exchange.xlsx_stream import write_rows_fast
from households.models import House, Household, HouseholdCategory, Member
from households.privacy import MASKED, WHOLE
from regions.models import Region

CHUNK = 5000
IGNORED = frozenset(normalise_header(h) for h in IGNORED_HEADERS)
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


def _chunks(qs: QuerySet[Household], *, unmasked: bool) -> Iterator[list[tuple[int, list[Any]]]]:
    """The households of `qs` in the template's columns, a chunk at a time, each row with its id."""
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
        chunk = []
        for hid, code, group, archive, name, id_enc, phone_enc, size, bank, bank_enc, only, note in rows:
            house = houses.get(hid)
            chunk.append((hid, [
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
            ]))  # fmt: skip
        yield chunk


def iter_rows(qs: QuerySet[Household], *, unmasked: bool) -> Iterator[list[Any]]:
    for chunk in _chunks(qs, unmasked=unmasked):
        for _hid, row in chunk:
            yield row


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


# --- the archive in a county's own ledger shape (exchange.models.ColumnMapping) ---------------------

TEMPLATE_INDEX = {c.key: i for i, c in enumerate(COLUMNS)}
# the columns a person's line repeats from its household's (where it is and which household it is)
HOUSEHOLD_LEVEL = frozenset({"village_code", "town", "village", "group_name", "household_no", "head_ref"})


def ledger_columns(mapping: ColumnMapping) -> list[tuple[str, str]]:
    """The saved columns in the file's order, (header, field key or ""), less the error file's own two."""
    return [(header, field) for header, field in mapping.columns if normalise_header(header) not in IGNORED]


def is_person_layout(mapping: ColumnMapping) -> bool:
    return mapping.layout == "person" or any(f == "relation" for _h, f in mapping.columns)


def ledger_rows(
    qs: QuerySet[Household], columns: list[tuple[str, str]], *, person: bool, unmasked: bool, read: list[int] | None = None
) -> Iterator[list[Any]]:
    """The households in the county's columns: a field the archive does not keep is left empty; one
    line per household, or (one row per person) the head's line and then each member's, which
    repeats the household's place and number. 户编号 is the household's running number in the file."""
    fields = [f for _h, f in columns]
    index = [TEMPLATE_INDEX.get(f) for f in fields]
    ident = TEMPLATE_INDEX["head_id"]
    shown = (WHOLE if unmasked else MASKED).id_number
    relation_names = names(Table.RELATION)
    head_word = relation_names.get("head", "户主")
    number = 0
    for chunk in _chunks(qs, unmasked=unmasked):
        members: dict[int, list[dict[str, Any]]] = {}
        if person:
            listed = Member.objects.filter(household_id__in=[hid for hid, _row in chunk]).order_by("household_id", "id")
            for hid, pk, name, enc, relation in listed.values_list("household_id", "id", "name", "id_number_enc", "relation"):
                number_text = shown(Member.id_number.read(enc, pk)) if enc else ""
                members.setdefault(hid, []).append(
                    {"head_name": name, "head_id": number_text, "relation": relation_names.get(relation, relation)}
                )
        for hid, row in chunk:
            number += 1
            if read is not None:
                read[0] += 1
            extra = {"household_no": number, "relation": head_word, "head_ref": row[ident]}
            line = [row[i] if i is not None else extra.get(f) for f, i in zip(fields, index, strict=True)]
            yield line
            for values in members.get(hid, []):
                yield [values[f] if f in values else line[k] if f in HOUSEHOLD_LEVEL else None for k, f in enumerate(fields)]


def export_ledger(
    path: Path,
    qs: QuerySet[Household],
    mapping: ColumnMapping,
    *,
    unmasked: bool,
    title: str,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """The archive in the county's saved columns and layout, ready to be re-imported with that mapping."""
    columns = ledger_columns(mapping)
    text = {*TEXT_COLUMNS, "head_ref"}
    read = [0]
    return write_rows_fast(
        path,
        title=title,
        header=[h for h, _f in columns],
        rows=ledger_rows(qs, columns, person=is_person_layout(mapping), unmasked=unmasked, read=read),
        text_columns=[i for i, (_h, f) in enumerate(columns) if f in text],
        widths=[BY_KEY[f].width if f in BY_KEY else 12 for _h, f in columns],
        on_progress=(lambda _lines: on_progress(read[0])) if on_progress else None,
    )
