"""Limits a spreadsheet must keep before any reader opens it (ADR 0020).

calamine holds a whole sheet as a dense grid (about 32 bytes a cell, from the first to the last used
row and column), so a 1 KB file with one cell at A1 and one at GR500000 costs 3 GB. Before parsing,
an .xlsx is therefore read through once as a stream, in pieces, never whole:

* the zip's members are inflated by us (not trusting the sizes the zip declares), and the total may
  not pass ANJU_XLSX_MAX_UNCOMPRESSED_MB (a zip bomb stops there);
* in each XML member the row and cell tags are counted and the row and column references measured,
  so the grid calamine would build is known: at most ANJU_IMPORT_MAX_ROWS rows,
  ANJU_IMPORT_MAX_COLUMNS columns and ANJU_IMPORT_MAX_CELLS cells.

A CSV is read through once for its encoding, its line count and its longest line
(ANJU_CSV_MAX_LINE_BYTES); its rows are then read as a stream, with the same row and column limits.
An .xls (at most 65,536 × 256 by its format) is walked as an OLE file: the row and column of every
cell record of its Workbook stream give the grid, held to the same limits.
Every refusal names the limit, in Chinese.
"""

from __future__ import annotations

import bisect
import codecs
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

PIECE = 1 << 20
MAX_MEMBERS = 10_000


class LimitExceeded(ValueError):
    """The file is over one of the limits; the message (Chinese) says which."""


@dataclass(frozen=True)
class Limits:
    rows: int
    columns: int
    cells: int
    uncompressed: int
    line_bytes: int

    @classmethod
    def current(cls) -> Limits:
        return cls(
            rows=int(getattr(settings, "ANJU_IMPORT_MAX_ROWS", 500_000)),
            columns=int(getattr(settings, "ANJU_IMPORT_MAX_COLUMNS", 200)),
            cells=int(getattr(settings, "ANJU_IMPORT_MAX_CELLS", 15_000_000)),
            uncompressed=int(getattr(settings, "ANJU_XLSX_MAX_UNCOMPRESSED_MB", 1024)) * (1 << 20),
            line_bytes=int(getattr(settings, "ANJU_CSV_MAX_LINE_BYTES", 100_000)),
        )

    def check_extent(self, rows: int, columns: int) -> None:
        if rows > self.rows:
            raise LimitExceeded(
                _("表格约有 %(n)s 行，超过每个文件 %(m)s 行的上限，请按乡镇或村拆分后分别导入。")
                % {"n": f"{rows:,}", "m": f"{self.rows:,}"}
            )
        if columns > self.columns:
            raise LimitExceeded(
                _("表格有 %(n)s 列，超过 %(m)s 列的上限，请删除多余的列（或远处误填的单元格）后再导入。")
                % {"n": f"{columns:,}", "m": f"{self.columns:,}"}
            )
        if rows * columns > self.cells:
            raise LimitExceeded(
                _("表格范围为 %(r)s 行 × %(c)s 列，超过 %(m)s 个单元格的上限，请删除远处误填的单元格或拆分后再导入。")
                % {"r": f"{rows:,}", "c": f"{columns:,}", "m": f"{self.cells:,}"}
            )


# --- .xlsx ----------------------------------------------------------------------------------------

_P = rb"(?:[A-Za-z_][\w.-]*:)?"  # an optional namespace prefix (calamine reads <x:row> like <row>)
ROW_TAG = re.compile(rb"<" + _P + rb"row[\s/>]")
ROW_REF = re.compile(rb"<" + _P + rb"row\s(?:[^>]*?\s)?r\s*=\s*[\"'](\d{1,12})")
CELL_TAG = re.compile(rb"<" + _P + rb"c[\s/>]")
USUAL_ROW_REF = re.compile(rb'<row r="(\d{1,12})"')
PREFIXED = re.compile(rb":(?:c|row)[\s/>]")
CELL_REF = re.compile(rb"<" + _P + rb"c\s(?:[^>]*?\s)?r\s*=\s*[\"']\$?([A-Za-z]{1,8})\$?(\d{1,12})")


def column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def greater_than(bound: int) -> bytes:
    """A regex for the decimal numbers greater than `bound` (exact: more digits, or as many and larger)."""
    digits = str(bound)
    n = len(digits)
    options = [rb"\d{%d,}" % (n + 1)]
    for i, d in enumerate(digits):
        if d != "9":
            rest = rb"\d{%d}" % (n - i - 1) if n - i - 1 else b""
            options.append(digits[:i].encode() + b"[%d-9]" % (int(d) + 1) + rest)
    return b"(?:" + b"|".join(options) + b")"


@lru_cache(maxsize=64)
def _outliers(bound: int) -> re.Pattern[bytes]:
    """Cell references (as Excel writes them) whose row is greater than `bound`, or whose column has two letters or more."""
    return re.compile(rb'<c r="(?:[A-Z]+(' + greater_than(bound) + rb')"|([A-Z]{2,}))')


class SheetScan:
    """Counts and measures the tags of one XML member, fed in pieces cut just before a '<' (so no tag is split).

    The usual file (every row and cell tag unprefixed, with r="..." first, as Excel, WPS, LibreOffice,
    openpyxl and xlsxwriter write them) is measured with byte counts and one regex that matches only
    references beyond the rows seen so far or past column Z; any other piece is measured tag by tag."""

    def __init__(self, max_rows: int = 0) -> None:
        self.max_rows = max_rows  # past this many row tags the sheet is refused anyway: no need to measure widths
        self.rows = self.rows_with_ref = self.max_row_ref = 0
        self.cells = self.cells_with_ref = self.max_cell_row = self.max_col = 0
        self.in_row = self.widest_unreferenced = 0
        self.any_cell_ref = False

    def feed(self, text: bytes) -> None:
        rows, cells = text.count(b'<row r="'), text.count(b'<c r="')
        # "<row"/"<c" also start <rowBreaks>, <cols>, <cfRule>…: a piece holding those is measured tag by tag
        if rows == text.count(b"<row") and cells == text.count(b"<c") and not PREFIXED.search(text):
            self._feed_usual(text, rows, cells)
        else:
            self._feed_any(text)

    def _feed_usual(self, text: bytes, rows: int, cells: int) -> None:
        self.rows += rows
        self.rows_with_ref += rows
        self.cells += cells
        self.cells_with_ref += cells
        if rows:
            self.max_row_ref = max(self.max_row_ref, max(map(int, USUAL_ROW_REF.findall(text))))
        if cells:
            self.any_cell_ref = True
            for row, letters in _outliers(max(self.max_row_ref, self.max_cell_row)).findall(text):
                if row:
                    self.max_cell_row = max(self.max_cell_row, int(row))
                else:
                    self.max_col = max(self.max_col, column_number(letters))

    def _feed_any(self, text: bytes) -> None:
        cells = CELL_TAG.findall(text)
        row_refs = ROW_REF.findall(text)
        cell_refs = CELL_REF.findall(text)
        self.rows += len(ROW_TAG.findall(text))
        self.cells += len(cells)
        self.rows_with_ref += len(row_refs)
        self.cells_with_ref += len(cell_refs)
        if row_refs:
            self.max_row_ref = max(self.max_row_ref, max(map(int, row_refs)))
        if cell_refs:
            self.any_cell_ref = True
            self.max_cell_row = max(self.max_cell_row, max(int(r) for _c, r in cell_refs))
            self.max_col = max(self.max_col, max(map(column_number, {c for c, _r in cell_refs})))
        if len(cells) != len(cell_refs) and not (self.max_rows and self.rows > self.max_rows):
            self._widths(text)  # cells without a reference: calamine places them one after another

    def _widths(self, text: bytes) -> None:
        cells = [m.start() for m in CELL_TAG.finditer(text)]
        starts = [m.start() for m in ROW_TAG.finditer(text)]
        before = bisect.bisect_left(cells, starts[0]) if starts else len(cells)
        self.in_row += before  # the row that went on from the previous piece
        self.widest_unreferenced = max(self.widest_unreferenced, self.in_row)
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(text)
            self.in_row = bisect.bisect_left(cells, end) - bisect.bisect_left(cells, start)
            if self.in_row > self.widest_unreferenced:
                self.widest_unreferenced = self.in_row

    def extent(self) -> tuple[int, int]:
        """The grid calamine would build, or a bound above it (columns A to Z count as 26 when none lies beyond)."""
        rows = max(self.max_row_ref, self.max_cell_row)
        if self.rows_with_ref < self.rows:
            rows += self.rows - self.rows_with_ref
        columns = max(self.max_col, 26 if self.any_cell_ref else 0)
        if self.cells_with_ref < self.cells:
            columns += self.widest_unreferenced
        return rows, columns


def _seek_data(raw: IO[bytes], info: zipfile.ZipInfo) -> None:
    """Seek `raw` to the member's data, after its local header."""
    raw.seek(info.header_offset)
    header = raw.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise LimitExceeded(_("Excel 文件结构已损坏，无法读取。"))
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    raw.seek(info.header_offset + 30 + name_len + extra_len)


def iter_member(raw: IO[bytes], info: zipfile.ZipInfo, budget: int) -> Iterator[bytes | None]:
    """The member's uncompressed bytes in pieces, inflated here (the declared size is not trusted); stops past `budget`."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise LimitExceeded(_("Excel 文件使用了不支持的压缩方式，请用 Excel 或 WPS 重新保存后再导入。"))
    _seek_data(raw, info)
    left = info.compress_size
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    produced = 0
    while left > 0:
        data = raw.read(min(PIECE, left))
        if not data:
            break
        left -= len(data)
        while data:
            if inflater is None:
                out, data = data, b""
            else:
                try:
                    out = inflater.decompress(data, PIECE)
                except zlib.error:
                    raise LimitExceeded(_("Excel 文件已损坏（压缩数据有误），无法读取。")) from None
                data = inflater.unconsumed_tail
            produced += len(out)
            if produced > budget:
                yield None  # over budget: the caller refuses
                return
            if out:
                yield out
        if inflater is not None and inflater.eof:
            break
    if inflater is not None:
        try:
            rest = inflater.flush()
        except zlib.error:
            raise LimitExceeded(_("Excel 文件已损坏（压缩数据有误），无法读取。")) from None
        if rest:
            produced += len(rest)
            yield None if produced > budget else rest


def check_xlsx(path: Path, limits: Limits | None = None) -> tuple[int, int]:
    """Refuse an .xlsx over the limits without parsing it; returns the largest sheet's (rows, columns)."""
    limits = limits or Limits.current()
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise LimitExceeded(_("无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式。")) from None
    too_big = LimitExceeded(
        _("Excel 文件解压后超过 %(m)s MB 的上限（可能是压缩炸弹），请检查文件或拆分后再导入。")
        % {"m": f"{limits.uncompressed >> 20:,}"}
    )
    widest = (0, 0)
    with book:
        members = book.infolist()
        if len(members) > MAX_MEMBERS:
            raise LimitExceeded(_("Excel 文件包含的部件过多，无法读取。"))
        if sum(m.file_size for m in members) > limits.uncompressed:
            raise too_big
        used = 0
        with path.open("rb") as raw:
            for info in members:
                if info.is_dir():
                    continue
                scan = SheetScan(limits.rows) if info.filename.lower().endswith((".xml", ".rels", ".vml")) else None
                carry = b""
                for piece in iter_member(raw, info, limits.uncompressed - used):
                    if piece is None:
                        raise too_big
                    used += len(piece)
                    if scan is None:
                        continue
                    text = carry + piece
                    cut = text.rfind(b"<")
                    if cut <= 0 or len(text) - cut > 4096:  # no tag starts near the end: nothing to carry
                        cut = len(text)
                    scan.feed(text[:cut])
                    carry = text[cut:]
                    rows, columns = scan.extent()
                    if rows > limits.rows or columns > limits.columns or rows * columns > limits.cells:
                        limits.check_extent(rows, columns)  # raises, naming the limit
                if scan is not None:
                    scan.feed(carry)
                    rows, columns = scan.extent()
                    limits.check_extent(rows, columns)
                    if rows * columns > widest[0] * widest[1]:
                        widest = (rows, columns)
    return widest


# --- .csv -----------------------------------------------------------------------------------------


def check_csv(path: Path, limits: Limits | None = None) -> str:
    """The CSV's encoding (UTF-8 or GB18030), after checking its line count and longest line without parsing it."""
    limits = limits or Limits.current()
    decoders = {enc: codecs.getincrementaldecoder(enc)() for enc in ("utf-8-sig", "gb18030")}
    lines = longest = current = 0
    with path.open("rb") as fh:
        for piece in iter(lambda: fh.read(PIECE), b""):
            for enc in list(decoders):
                try:
                    decoders[enc].decode(piece)
                except UnicodeDecodeError:
                    del decoders[enc]
            parts = piece.split(b"\n")
            current += len(parts[0])
            if len(parts) > 1:
                longest = max(longest, current, max(map(len, parts[:-1])) if len(parts) > 2 else 0)
                current = len(parts[-1])
            lines += len(parts) - 1
            if max(longest, current) > limits.line_bytes:
                raise LimitExceeded(
                    _("CSV 文件第 %(n)s 行附近有一行超过 %(m)s 字节的上限（可能不是表格文件），请检查后再导入。")
                    % {"n": f"{lines + 1:,}", "m": f"{limits.line_bytes:,}"}
                )
            if lines > limits.rows + 1:  # the header line besides the rows
                limits.check_extent(lines, 0)
    for enc, decoder in decoders.items():
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return enc
    raise LimitExceeded(_("无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV，或 .xlsx 文件"))


# --- .xls (Excel 97-2003: BIFF8 records in an OLE compound file) ----------------------------------

CELL_RECORDS = frozenset({0x0006, 0x00D6, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E})  # row, col first
MULTI_RECORDS = frozenset({0x00BD, 0x00BE})  # MULRK, MULBLANK: row, first col … last col at the end
END_OF_CHAIN = 0xFFFFFFFE


def _chain(table: list[int], start: int, limit: int) -> list[int]:
    out: list[int] = []
    while start < END_OF_CHAIN and start < len(table) and len(out) <= limit:
        out.append(start)
        start = table[start]
    return out


def _workbook_stream(data: bytes) -> bytes | None:
    """The "Workbook" stream of an OLE file, or None if the file is not one we can walk (calamine then decides)."""
    if len(data) < 512 or data[:8] != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return None
    size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    mini_size = 1 << struct.unpack_from("<H", data, 0x20)[0]
    if size not in (512, 4096) or mini_size != 64:
        return None
    n_fat, first_dir = struct.unpack_from("<II", data, 0x2C)
    cutoff, first_minifat, n_minifat, first_difat, n_difat = struct.unpack_from("<IIIII", data, 0x38)
    sectors = (len(data) - 512) // size

    def sector(n: int) -> bytes:
        return data[512 + n * size : 512 + (n + 1) * size] if 0 <= n < sectors else b""

    difat = [x for x in struct.unpack_from("<109I", data, 0x4C) if x < END_OF_CHAIN]
    nxt, seen = first_difat, 0
    while nxt < END_OF_CHAIN and seen < min(n_difat, sectors):
        words = struct.unpack(f"<{size // 4}I", sector(nxt) or b"\0" * size)
        difat += [x for x in words[:-1] if x < END_OF_CHAIN]
        nxt, seen = words[-1], seen + 1
    fat: list[int] = []
    for n in difat[: min(n_fat, sectors)]:
        fat += struct.unpack(f"<{size // 4}I", sector(n) or b"\0" * size)

    def read(start: int, length: int | None = None) -> bytes:
        out = b"".join(sector(n) for n in _chain(fat, start, sectors))
        return out if length is None else out[:length]

    directory = read(first_dir)
    entries = [directory[i : i + 128] for i in range(0, len(directory) - 127, 128)]
    if not entries:
        return None
    root = entries[0]
    for entry in entries:
        name_len = struct.unpack_from("<H", entry, 0x40)[0]
        name = entry[: max(0, name_len - 2)].decode("utf-16-le", "replace")
        if entry[0x42] == 2 and name in ("Workbook", "Book"):
            start, length = struct.unpack_from("<II", entry, 0x74)
            length = min(length, len(data))
            if length >= cutoff:
                return read(start, length)
            mini_stream = read(struct.unpack_from("<I", root, 0x74)[0])
            minifat_bytes = read(first_minifat) if n_minifat else b""
            minifat = list(struct.unpack(f"<{len(minifat_bytes) // 4}I", minifat_bytes[: len(minifat_bytes) // 4 * 4]))
            chain = _chain(minifat, start, len(mini_stream) // 64)
            return b"".join(mini_stream[n * 64 : (n + 1) * 64] for n in chain)[:length]
    return None


def check_xls(path: Path, limits: Limits | None = None) -> tuple[int, int] | None:
    """Refuse an .xls whose cells span more than the limits (calamine builds the grid from them); the
    (rows, columns) found, or None if the file cannot be walked here (calamine reports what is wrong)."""
    limits = limits or Limits.current()
    try:
        stream = _workbook_stream(path.read_bytes())  # an .xls is at most a few tens of MB (upload limit)
    except (struct.error, ValueError, IndexError):
        return None
    if stream is None:
        return None
    rows = columns = 0
    at = 0
    while at + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, at)
        body = stream[at + 4 : at + 4 + length]
        at += 4 + length
        if kind in CELL_RECORDS and len(body) >= 4:
            row, col = struct.unpack_from("<HH", body, 0)
            rows, columns = max(rows, row + 1), max(columns, col + 1)
        elif kind in MULTI_RECORDS and len(body) >= 6:
            row = struct.unpack_from("<H", body, 0)[0]
            last = struct.unpack_from("<H", body, len(body) - 2)[0]
            rows, columns = max(rows, row + 1), max(columns, last + 1)
    limits.check_extent(rows, columns)
    return rows, columns


PROBE = """
import resource, sys
cap = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
from python_calamine import CalamineWorkbook
rows = columns = 0
try:
    book = CalamineWorkbook.from_path(sys.argv[1])
    for index in range(len(book.sheet_names)):  # every sheet: the import reads them all
        sheet = book.get_sheet_by_index(index)
        rows, columns = rows + sheet.height, max(columns, sheet.width)
except Exception:
    sys.exit(3)  # calamine's own error: the real read reports it
print(rows, columns)
"""
PROBE_MEMORY = 1536 << 20


def probe_xls(path: Path, limits: Limits | None = None) -> None:
    """Open an .xls with calamine in a child process with capped memory first: a damaged .xls can make
    calamine ask for terabytes and abort the whole process (found by fuzzing), which must not be the worker."""
    limits = limits or Limits.current()
    try:
        done = subprocess.run(
            [sys.executable, "-c", PROBE, str(path), str(PROBE_MEMORY)], capture_output=True, text=True, timeout=120
        )
    except subprocess.TimeoutExpired:
        raise LimitExceeded(_("Excel 文件读取超时（文件可能已损坏），请用 Excel 或 WPS 另存为 .xlsx 后再导入。")) from None
    if done.returncode == 3:
        return
    if done.returncode != 0:
        raise LimitExceeded(_("Excel 文件已损坏，无法读取，请用 Excel 或 WPS 另存为 .xlsx 后再导入。"))
    rows, columns = (int(x) for x in done.stdout.split()[:2])
    limits.check_extent(rows, columns)
