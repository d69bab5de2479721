"""The sheets of an uploaded ledger, each a stream of rows (stage 1 of exchange.ledger).

Every sheet of a workbook in order (a CSV is one sheet named ""); a hidden or empty sheet comes with
the reason it is not read. Each merged range is filled with its top-left value, down and across (the
village written once beside a block of households); a plain blank cell is never filled from the row
above: only what Excel itself says is merged. The reading limits are exchange.readers'."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from exchange.ledger import Sheet
from exchange.readers import read_book

Range = tuple[int, int, int, int]


def fill_merged(rows: Iterator[list[Any]], merges: list[Range]) -> Iterator[list[Any]]:
    """The rows with every cell of a merged range holding the range's top-left value. Streams: a range
    is remembered from its first row to its last."""
    pending = sorted(merges, reverse=True)  # popped from the end, by first row
    active: list[tuple[int, int, int, Any]] = []  # last row, first col, last col, value
    for r, row in enumerate(rows):
        while pending and pending[-1][0] == r:
            _r0, c0, r1, c1 = pending.pop()
            active.append((r1, c0, c1, row[c0] if c0 < len(row) else ""))
        if active:
            for _r1, c0, c1, value in active:
                if len(row) <= c1:
                    row.extend([""] * (c1 + 1 - len(row)))
                row[c0 : c1 + 1] = [value] * (c1 + 1 - c0)
            active = [a for a in active if a[0] > r]
        yield row


def read_sheets(path: Path, original_name: str = "") -> Iterator[Sheet]:
    for raw in read_book(path, original_name):
        rows = fill_merged(raw.rows, raw.merges) if raw.merges else raw.rows
        yield Sheet(raw.index, raw.name, rows, raw.merges, raw.skipped)
