"""Reading officials' spreadsheets: .xlsx (calamine) and .csv in UTF-8 or GBK."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook


class UnreadableFile(ValueError):
    pass


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV，或 .xlsx 文件")


def read_rows(path: Path, original_name: str = "") -> Iterator[list[Any]]:
    name = (original_name or path.name).lower()
    if name.endswith(".csv"):
        text = _decode(path.read_bytes())
        yield from csv.reader(io.StringIO(text))
        return
    if name.endswith((".xlsx", ".xlsm", ".xls")):
        try:
            book = CalamineWorkbook.from_path(str(path))
            sheet = book.get_sheet_by_index(0)
            rows = sheet.iter_rows()
        except Exception as exc:  # calamine raises its own error types for broken files
            raise UnreadableFile(f"无法读取 Excel 文件：{exc}") from exc
        yield from rows
        return
    raise UnreadableFile("只支持 Excel（.xlsx、.xls）和 .csv 文件")


_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+(\d+)(?::[A-Z]+(\d+))?"')


def _xlsx_height(path: Path) -> int | None:
    """The first sheet's height as its <dimension> element states it, at the top of the sheet's XML:
    reading the whole sheet only to count it took as long as reading it for the import."""
    with zipfile.ZipFile(path) as book:
        sheets = [n for n in book.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
        if not sheets:
            return None
        with book.open(min(sheets, key=lambda n: int(re.sub(r"\D", "", n)))) as fh:  # sheet1.xml, as Excel names the first
            found = _DIMENSION.search(fh.read(4096))
    return int(found.group(2) or found.group(1)) if found else None


def estimate_rows(path: Path, original_name: str = "") -> int:
    """Roughly how many rows a file has (lines of a CSV, the sheet's height), for progress bars."""
    name = (original_name or path.name).lower()
    try:
        if name.endswith(".csv"):
            with path.open("rb") as fh:
                return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        if name.endswith((".xlsx", ".xlsm")) and (height := _xlsx_height(path)) is not None:
            return height
        return int(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).height)
    except Exception:  # an unreadable file is reported by the real read
        return 0
