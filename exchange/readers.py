"""Reading officials' spreadsheets: .xlsx and .xls (calamine, every sheet) and .csv in UTF-8 or GBK."""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from exchange.sheet_limits import LimitExceeded, Limits, check_csv, check_xls, check_xlsx, probe_xls


class UnreadableFile(ValueError):
    pass


def _csv_rows(path: Path, encoding: str, limits: Limits) -> Iterator[list[Any]]:
    """A CSV's rows as a stream (never the whole text in memory), held to the row and column limits."""
    with path.open(encoding=encoding, newline="") as fh:
        try:
            for n, row in enumerate(csv.reader(fh), 1):
                if n > limits.rows + 1 or len(row) > limits.columns:
                    limits.check_extent(n, len(row))
                yield row
        except LimitExceeded as exc:
            raise UnreadableFile(str(exc)) from None
        except csv.Error as exc:
            raise UnreadableFile(_("CSV 文件格式有误（%(e)s），请用 Excel 或 WPS 另存为 .xlsx 后再导入。") % {"e": exc}) from None
        except UnicodeDecodeError:
            raise UnreadableFile(_("无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV，或 .xlsx 文件")) from None


def _check_kind(path: Path, name: str) -> None:
    from django.core.exceptions import ValidationError

    from core.uploads import check_spreadsheet_kind

    try:
        check_spreadsheet_kind(path, name)
    except ValidationError as exc:
        raise UnreadableFile(" ".join(exc.messages)) from None


def _checked(path: Path, original_name: str) -> tuple[str, Limits, str]:
    """The file's suffix, the limits in force and (for a CSV) its encoding, after its kind and size
    limits are checked (exchange.sheet_limits): every sheet of a workbook is held to them."""
    name = (original_name or path.name).lower()
    suffix = Path(name).suffix
    limits = Limits.current()
    if suffix not in (".csv", ".xlsx", ".xlsm", ".xls"):
        raise UnreadableFile(_("只支持 Excel（.xlsx、.xls）和 .csv 文件"))
    encoding = ""
    try:
        _check_kind(path, name)
        if suffix == ".csv":
            encoding = check_csv(path, limits)
        elif suffix in (".xlsx", ".xlsm"):
            check_xlsx(path, limits)  # every sheet's XML
        else:
            check_xls(path, limits)  # the cells' extent, in process
            probe_xls(path, limits)  # and calamine itself, in a child with capped memory
    except LimitExceeded as exc:
        raise UnreadableFile(str(exc)) from None
    return suffix, limits, encoding


@dataclass
class RawSheet:
    """One sheet as calamine gives it, rows from A1 (a sheet whose cells start further right is padded)."""

    index: int
    name: str
    rows: Iterator[list[Any]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # 0-based first row, col, last row, col
    skipped: str = ""  # why the sheet is not read (hidden, empty, a chart), "" for a sheet read


def _padded(rows: Iterator[list[Any]], left: int) -> Iterator[list[Any]]:
    pad = [""] * left
    for row in rows:
        yield pad + row


def read_book(path: Path, original_name: str = "") -> Iterator[RawSheet]:
    """Every sheet of a workbook in order (a CSV is one sheet named ""), hidden and empty ones with the
    reason they are not read. The limits hold for each sheet and for the rows of all sheets together."""
    suffix, limits, encoding = _checked(path, original_name)
    if suffix == ".csv":
        yield RawSheet(0, "", _csv_rows(path, encoding, limits))
        return
    try:
        book = CalamineWorkbook.from_path(str(path))
        metadata = book.sheets_metadata
    except Exception as exc:  # calamine raises its own error types for broken files
        raise UnreadableFile(_("无法读取 Excel 文件：%(e)s") % {"e": exc}) from exc
    total = 0
    for index, meta in enumerate(metadata):
        if meta.typ != SheetTypeEnum.WorkSheet:
            yield RawSheet(index, meta.name, iter(()), skipped=_("不是数据表（图表等），未读取"))
            continue
        if meta.visible != SheetVisibleEnum.Visible:
            yield RawSheet(index, meta.name, iter(()), skipped=_("隐藏的工作表，未读取"))
            continue
        try:
            sheet = book.get_sheet_by_index(index)
        except Exception as exc:
            raise UnreadableFile(_("无法读取 Excel 文件：%(e)s") % {"e": exc}) from exc
        if sheet.height == 0 or sheet.width == 0:  # calamine cannot even say where an empty sheet starts
            yield RawSheet(index, meta.name, iter(()), skipped=_("空工作表"))
            continue
        top, left = sheet.start or (0, 0)
        total += sheet.height + top
        try:  # again, after loading: an .xls the OLE walk could not read; and all sheets together
            limits.check_extent(sheet.height + top, sheet.width + left)
            limits.check_extent(total, sheet.width + left)
        except LimitExceeded as exc:
            raise UnreadableFile(str(exc)) from None
        merges = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []]
        rows = sheet.iter_rows()  # from row 1, but from the sheet's first used column
        yield RawSheet(index, meta.name, _padded(rows, left) if left else rows, merges)
        del sheet  # one sheet's grid in memory at a time


def read_rows(path: Path, original_name: str = "") -> Iterator[list[Any]]:
    """The first sheet's rows (or the CSV's), after the file's kind and size limits are checked (exchange.sheet_limits)."""
    suffix, limits, encoding = _checked(path, original_name)
    if suffix == ".csv":
        yield from _csv_rows(path, encoding, limits)
        return
    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet = book.get_sheet_by_index(0)
        rows = sheet.iter_rows()
    except Exception as exc:  # calamine raises its own error types for broken files
        raise UnreadableFile(_("无法读取 Excel 文件：%(e)s") % {"e": exc}) from exc
    try:
        limits.check_extent(sheet.height, sheet.width)  # again, after loading: an .xls the OLE walk could not read
    except LimitExceeded as exc:
        raise UnreadableFile(str(exc)) from None
    yield from rows


_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+(\d+)(?::[A-Z]+(\d+))?"')


def _xlsx_height(path: Path) -> int | None:
    """The sheets' heights added up, as each sheet's <dimension> element states it at the top of its
    XML: reading the whole sheet only to count it took as long as reading it for the import."""
    total = None
    with zipfile.ZipFile(path) as book:
        for name in book.namelist():
            if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name):
                with book.open(name) as fh:
                    found = _DIMENSION.search(fh.read(4096))
                if found:
                    total = (total or 0) + int(found.group(2) or found.group(1))
    return total


def estimate_rows(path: Path, original_name: str = "") -> int:
    """Roughly how many rows a file has (lines of a CSV, the sheets' heights), for progress bars."""
    name = (original_name or path.name).lower()
    try:
        if name.endswith(".csv"):
            with path.open("rb") as fh:
                return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        if name.endswith((".xlsx", ".xlsm")):  # never calamine here: the sheet may be over the limits
            height = _xlsx_height(path)
            return height if height is not None else check_xlsx(path)[0]
        return (check_xls(path) or (0, 0))[0]  # .xls: never calamine in process before probe_xls (it can abort)
    except Exception:  # an unreadable file is reported by the real read
        return 0
