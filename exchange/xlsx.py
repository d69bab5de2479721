"""Writing .xlsx the way officials expect: a merged title row, Chinese headers, numbers-as-text
where they are identifiers, and no cell that a spreadsheet would run as a formula."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text that starts like a formula gets a leading apostrophe (OWASP CSV/Excel injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_rows(
    path: Path,
    *,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    text_columns: Iterable[int] = (),
    widths: Sequence[int] | None = None,
    validations: dict[int, list[str]] | None = None,
    notes: Sequence[tuple[str, str]] = (),
    on_progress: Any = None,
) -> int:
    """Stream rows into an .xlsx with constant memory; returns the number of data rows."""
    book = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    )
    sheet = book.add_worksheet("数据")
    title_fmt = book.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    head_fmt = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
    text_fmt = book.add_format({"num_format": "@"})
    text_set = set(text_columns)
    for col, width in enumerate(widths or [14] * len(header)):
        sheet.set_column(col, col, width, text_fmt if col in text_set else None)
    if len(header) > 1:
        sheet.merge_range(0, 0, 0, len(header) - 1, title, title_fmt)
    else:
        sheet.write_string(0, 0, title, title_fmt)
    sheet.set_row(0, 28)
    for col, name in enumerate(header):
        sheet.write_string(1, col, str(name), head_fmt)
    sheet.freeze_panes(2, 0)
    for col, options in (validations or {}).items():
        sheet.data_validation(
            2, col, 100000, col, {"validate": "list", "source": options, "ignore_blank": True, "error_type": "information"}
        )
    count = 0
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if c in text_set or isinstance(value, str):
                sheet.write_string(r, c, str(safe_cell(value if isinstance(value, str) else str(value))))
            elif isinstance(value, bool):
                sheet.write_string(r, c, "是" if value else "否")
            elif isinstance(value, (int, float)):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(safe_cell(str(value))))
        count += 1
        if on_progress is not None and count % 10000 == 0:
            on_progress(count)
    if notes:
        help_sheet = book.add_worksheet("填写说明")
        help_sheet.set_column(0, 0, 18)
        help_sheet.set_column(1, 1, 80)
        for r, (name, text) in enumerate(notes):
            help_sheet.write_string(r, 0, name, head_fmt if r == 0 else None)
            help_sheet.write_string(r, 1, text, head_fmt if r == 0 else None)
    book.close()
    return count
