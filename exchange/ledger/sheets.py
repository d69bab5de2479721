"""The sheets of an uploaded ledger, each a stream of rows (stage 1 of exchange.ledger).

For now the first sheet of a workbook, or the CSV; the reading limits are exchange.readers'."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from exchange.ledger import Sheet
from exchange.readers import read_rows


def read_sheets(path: Path, original_name: str = "") -> Iterator[Sheet]:
    yield Sheet(0, "", read_rows(path, original_name))
