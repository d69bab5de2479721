"""Rows and columns a workbook hides (Excel's 隐藏行 / 隐藏列), named at the mapping step.

Excel shows none of them and the file holds them all: a clerk may have hidden the households that
moved away, or an old column beside its replacement. The import reads them like any other (the
file is what it holds); the mapping step says so first, so that nothing is read unseen. Read from
the sheet XML of an .xlsx (the `hidden="1"` of its <row> and <col> elements), streamed; an .xls or
a CSV hides nothing this can see.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*>")
_COL = re.compile(rb"<(?:\w+:)?col\b[^>]*>")
_ATTR = re.compile(rb'\b(r|hidden|min|max)="([^"]*)"')
_CHUNK = 1 << 20
_TAIL = 1024  # longer than any <row …> tag
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass
class Hidden:
    rows: list[int] = field(default_factory=list)  # 1-based, in order
    columns: list[int] = field(default_factory=list)  # 0-based


def _attrs(tag: bytes) -> dict[bytes, bytes]:
    return dict(_ATTR.findall(tag))


def _hidden(tag: bytes) -> bool:
    return _attrs(tag).get(b"hidden") in (b"1", b"true")


def _sheet_paths(book: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the path of its XML in the archive."""
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{PKG}Relationship")}
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    paths = {}
    for sheet in workbook.iter(f"{MAIN}sheet"):
        target = targets.get(sheet.get(f"{REL}id"), "")
        if target:
            paths[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return paths


def _scan(stream: object) -> Hidden:
    found = Hidden()
    rows: set[int] = set()
    buffer = b""
    while chunk := stream.read(_CHUNK):  # type: ignore[attr-defined]
        buffer += chunk
        end = 0
        for match in _COL.finditer(buffer):
            if _hidden(match.group()):
                a = _attrs(match.group())
                low, high = int(a.get(b"min", b"0") or 0), int(a.get(b"max", b"0") or 0)
                found.columns.extend(c - 1 for c in range(low, min(high, low + 200) + 1) if c - 1 not in found.columns)
        for match in _ROW.finditer(buffer):
            end = match.end()
            if _hidden(match.group()):
                r = _attrs(match.group()).get(b"r", b"")
                if r.isdigit():
                    rows.add(int(r))
        buffer = buffer[max(end, len(buffer) - _TAIL) :]
    found.rows = sorted(rows)
    found.columns.sort()
    return found


def hidden_lines(path: Path, original_name: str = "") -> dict[str, Hidden]:
    """Per sheet name, the rows and columns it hides (only sheets that hide some)."""
    if not (original_name or path.name).lower().endswith((".xlsx", ".xlsm")):
        return {}
    result = {}
    try:
        with zipfile.ZipFile(path) as book:
            for name, member in _sheet_paths(book).items():
                with book.open(member) as fh:
                    found = _scan(fh)
                if found.rows or found.columns:
                    result[name] = found
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, ValueError):
        return {}  # the reader says what is wrong with the file
    return result
