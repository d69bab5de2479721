"""Finding a ledger's header and proposing each column's field (stages 2 and 3 of exchange.ledger)."""

from __future__ import annotations

from exchange.household_columns import LOOKUP, normalise_header
from exchange.ledger import FileColumn, HeaderBlock, Mapping

HEADER_SCAN_ROWS = 30


def header_key(text: str) -> str:
    """The key a header is known by in a saved mapping: the same for the same words in any width."""
    return normalise_header(text)


def find_header(first_rows: list[list[object]]) -> HeaderBlock | None:
    """The header block among a sheet's first rows: the row that names the required columns."""
    for n, row in enumerate(first_rows[:HEADER_SCAN_ROWS]):
        keys = {LOOKUP.get(normalise_header(cell)) for cell in row}
        if {"head_name", "head_id"} <= keys:
            title = " ".join(str(c).strip() for r in first_rows[:n] for c in r if c not in (None, ""))
            return HeaderBlock(start=n + 1, height=1, headers=[str(c or "").strip() for c in row], title=title)
    return None


def propose(headers: list[str], saved: Mapping | None = None) -> list[FileColumn]:
    """Each column's field: the county's saved choice for that header, else the catalogue's; a field is
    given to one column only (the first)."""
    taken: set[str] = set()
    columns = []
    for index, text in enumerate(headers):
        key = header_key(text)
        field, source = None, ""
        if saved is not None and key in saved:
            field, source = (saved[key] or None), "saved"
        elif key in LOOKUP:
            field, source = LOOKUP[key], "catalogue"
        if field in taken:
            field, source = None, ""
        if field:
            taken.add(field)
        columns.append(FileColumn(index, text, field, source=source))
    return columns
