"""Reading a county's own ledger (台账), in the stages an import runs through:

1. `sheets.read_sheets`: the workbook's sheets (a CSV is one), each a stream of rows, merged cells filled
   down;
2. `headers.find_header`: the header block of a sheet (one row or several, merged, units in brackets),
   with the title rows above it;
3. `headers.propose`: each file column's archive field (or none), from the county's saved mapping, then
   from the column catalogue (`exchange.household_columns`); the user corrects it before the preview;
4. `exchange.household_import`: rows classified (data, total, footer, blank), grouped into households
   (one row per household or one per person), each value cleaned and checked.

The types the stages hand each other are here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# A county's saved mapping: header key (headers.header_key of the header text) -> field key, or "" for
# a column the county chose not to import.
Mapping = dict[str, str]


@dataclass
class Sheet:
    index: int  # 0-based position in the workbook
    name: str  # the sheet's name ("" for a CSV)
    rows: Iterator[list[Any]]  # every row as read, merged cells filled down
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # 0-based first row, col, last row, col
    skipped: str = ""  # why the sheet is not read (hidden, empty), "" for a sheet read


@dataclass
class HeaderBlock:
    start: int  # 1-based line of the header's first row in its sheet
    height: int  # rows the header spans
    headers: list[str]  # per file column, the header text (rows of a multi-row header joined with "/")
    title: str = ""  # the text of the rows above the header (the ledger's title), for context

    @property
    def end(self) -> int:
        """The 1-based line of the header's last row."""
        return self.start + self.height - 1


@dataclass(frozen=True)
class FileColumn:
    index: int  # 0-based column of the sheet
    header: str  # as HeaderBlock.headers gives it
    field: str | None  # the archive field it is imported into; None: not imported
    proposed: str | None = None  # what Anju proposed, when the user chose otherwise
    source: str = ""  # how the field was chosen: "saved" (the county's mapping), "catalogue", "user", ""

    @property
    def imported(self) -> bool:
        return self.field is not None


@dataclass
class SkippedRow:
    """A line that is not a household: a total, a footer (制表人、审核人、填报日期), a title repeated."""

    sheet: str
    line: int
    cells: list[Any]
    reason: str


@dataclass
class SheetPlan:
    """One sheet as the import reads it: its header and the columns it imports."""

    sheet: str
    header: HeaderBlock
    columns: list[FileColumn] = field(default_factory=list)

    def mapping(self) -> dict[int, str]:
        return {c.index: c.field for c in self.columns if c.field is not None}

    @property
    def unmapped(self) -> list[FileColumn]:
        return [c for c in self.columns if c.field is None and c.header]
