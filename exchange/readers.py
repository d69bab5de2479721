"""Reading officials' spreadsheets: .xlsx (calamine) and .csv in UTF-8 or GBK."""

from __future__ import annotations

import csv
import io
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


def estimate_rows(path: Path, original_name: str = "") -> int:
    """Roughly how many rows a file has (lines of a CSV, the sheet's height), for progress bars."""
    try:
        if (original_name or path.name).lower().endswith(".csv"):
            with path.open("rb") as fh:
                return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        return int(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).height)
    except Exception:  # an unreadable file is reported by the real read
        return 0
