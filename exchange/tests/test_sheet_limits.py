"""Finding 7 of issue 11: spreadsheets are measured before any reader opens them, so a small crafted file
cannot take the worker's memory, and everything wrong ends in a clean Chinese message (ADR 0020)."""

from __future__ import annotations

import csv
import io
import random
import resource
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from exchange.readers import UnreadableFile, read_rows

CT = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
HEAD = '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
TAIL = "</sheetData></worksheet>"


def crafted(path: Path, sheet: str | bytes | Callable[[Any], None]) -> Path:
    """An .xlsx with the given sheet XML (or a writer of it, for big ones), as a hand-made file would be."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CT)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        if callable(sheet):
            with z.open("xl/worksheets/sheet1.xml", "w") as out:
                sheet(out)
        else:
            z.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def refused(path: Path, name: str = "") -> str:
    """Read the file; the Chinese refusal, quickly and without a jump in the process's peak memory
    (a 3 GB grid would show; tracemalloc is not used here, it cannot see calamine's Rust allocations)."""
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(UnreadableFile) as caught:
        for _row in read_rows(path, name or path.name):
            pass
    assert time.monotonic() - started < 20
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grown_kb < 150 * 1024, f"peak memory grew by {grown_kb / 1024:.0f} MB"
    return str(caught.value)


def valid_xlsx(path: Path, rows: int = 20) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["户主姓名", "户主身份证号", "地址"])
    for n in range(1, rows):
        sheet.write_row(n, 0, [f"张{n}", f"6108261980010{n:05d}", "某村"])
    book.close()
    return path


def test_a_valid_workbook_reads_as_before(tmp_path: Path) -> None:
    rows = list(read_rows(valid_xlsx(tmp_path / "ok.xlsx")))
    assert len(rows) == 20 and rows[0][0] == "户主姓名"


def test_two_far_apart_cells_do_not_make_a_three_gigabyte_grid(tmp_path: Path) -> None:
    """1.4 KB, A1 and GR500000: calamine would hold 100 million cells (3.2 GB)."""
    sheet = HEAD + '<row r="1"><c r="A1"><v>1</v></c></row><row r="500000"><c r="GR500000"><v>1</v></c></row>' + TAIL
    path = crafted(tmp_path / "sparse.xlsx", sheet)
    assert path.stat().st_size < 2000
    assert "15,000,000 个单元格的上限" in refused(path)


def test_far_cells_hidden_behind_other_attributes_are_found(tmp_path: Path) -> None:
    sheet = HEAD + "<row><c s='0' r='A1'><v>1</v></c></row><x:row xmlns:x='urn:x'><x:c t=\"n\" r=\"A900000\"/></x:row>" + TAIL
    assert "500,000 行的上限" in refused(crafted(tmp_path / "attrs.xlsx", sheet))


def test_a_wide_row_without_references_is_measured(tmp_path: Path) -> None:
    sheet = HEAD + "<row>" + "<c><v>1</v></c>" * 300 + "</row>" + TAIL
    assert "200 列的上限" in refused(crafted(tmp_path / "wide.xlsx", sheet))


def test_three_million_rows_in_a_small_file_are_refused_early(tmp_path: Path) -> None:
    """The issue's 420 KB file with 3,000,000 rows."""

    def rows(out: Any) -> None:
        out.write(HEAD.encode())
        chunk = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 10_000
        for _ in range(300):
            out.write(chunk)
        out.write(TAIL.encode())

    path = crafted(tmp_path / "rows.xlsx", rows)
    assert path.stat().st_size < 1_000_000
    assert "500,000 行的上限" in refused(path)


def test_a_zip_bomb_stops_at_the_uncompressed_limit(tmp_path: Path, settings: Any) -> None:
    settings.ANJU_XLSX_MAX_UNCOMPRESSED_MB = 8

    def zeros(out: Any) -> None:
        out.write(HEAD.encode() + b"<!--")
        for _ in range(64):
            out.write(b" " * (1 << 20))
        out.write(b"-->" + TAIL.encode())

    assert "解压后超过 8 MB" in refused(crafted(tmp_path / "bomb.xlsx", zeros))


def test_a_zip_that_lies_about_its_sizes_is_still_measured(tmp_path: Path, settings: Any) -> None:
    """The declared uncompressed sizes are rewritten to 100 bytes: they are not what the limit trusts."""
    settings.ANJU_XLSX_MAX_UNCOMPRESSED_MB = 8
    path = crafted(tmp_path / "liar.xlsx", HEAD + "<!--" + " " * (20 << 20) + "-->" + TAIL)
    data = bytearray(path.read_bytes())
    for signature, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            data[start + at : start + at + 4] = struct.pack("<I", 100)
            start += 4
    path.write_bytes(bytes(data))
    assert "解压后超过" in refused(path) or "损坏" in refused(path)


def test_file_kinds_are_told_by_content_not_by_suffix(tmp_path: Path) -> None:
    html = tmp_path / "名单.xls"  # what many web systems call "export to Excel"
    html.write_bytes(b"<html><table><tr><td>1</td></tr></table></html>")
    assert "与扩展名 .xls 不符" in refused(html)
    text = tmp_path / "a.xlsx"
    text.write_bytes(b"name,id\n1,2\n")
    assert "与扩展名 .xlsx 不符" in refused(text)
    exe = tmp_path / "a.csv"
    exe.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)))
    assert "与扩展名 .csv 不符" in refused(exe)


def test_an_xls_with_a_far_cell_is_refused_before_calamine_builds_its_grid(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "households.xls"
    assert len(list(read_rows(fixture))) == 6
    data = bytearray(fixture.read_bytes())
    at = data.find(b"\xfd\x00\x0a\x00")  # a LABELSST cell record: row and column follow
    data[at + 4 : at + 8] = b"\xff\xff\xff\x00"  # row 65,536, column 256: a 16.7-million-cell grid
    far = tmp_path / "far.xls"
    far.write_bytes(bytes(data))
    assert "256 列，超过 200 列的上限" in refused(far)


def test_an_xls_that_makes_calamine_abort_does_not_take_the_process_with_it(tmp_path: Path) -> None:
    """Found by test_fuzz_mutated_xls: two changed bytes make calamine ask for 2 TB and abort the process."""
    from exchange.readers import estimate_rows

    broken = Path(__file__).parent / "fixtures" / "calamine_abort.xls"
    assert estimate_rows(broken) >= 0
    assert "Excel 文件已损坏" in refused(broken)


def test_csv_limits(tmp_path: Path, settings: Any) -> None:
    long_line = tmp_path / "long.csv"
    long_line.write_bytes(b"a," * 100_000 + b"\n")
    assert "100,000 字节的上限" in refused(long_line)
    settings.ANJU_IMPORT_MAX_ROWS = 1000
    many = tmp_path / "many.csv"
    many.write_bytes(b"x\n" * 5000)
    assert "1,000 行的上限" in refused(many)
    settings.ANJU_IMPORT_MAX_COLUMNS = 10
    wide = tmp_path / "wide.csv"
    wide.write_bytes(b",".join([b"c"] * 50) + b"\n")
    assert "10 列的上限" in refused(wide)


def test_csv_encodings_and_broken_csv(tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("户主姓名,地址\n郝建国,白家硷村\n".encode("gbk"))
    assert list(read_rows(gbk)) == [["户主姓名", "地址"], ["郝建国", "白家硷村"]]
    quoted = tmp_path / "field.csv"
    quoted.write_bytes(b'"' + b"x" * 90_000 + b"\n" + b"y" * 90_000 + b'"\n')  # one field of 180 KB across lines
    assert "CSV 文件格式有误" in refused(quoted)


# --- fuzzing: any bytes, and mutations of valid files, give rows or a clean Chinese error -------


def _read_all(path: Path) -> None:
    tracemalloc.start()
    try:
        for _row in read_rows(path, path.name):
            pass
    except UnreadableFile as exc:
        assert str(exc) and any("\u4e00" <= ch <= "\u9fff" for ch in str(exc))  # Chinese
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024


FUZZ = hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], derandomize=True)


@FUZZ
@given(data=st.binary(max_size=4096), suffix=st.sampled_from([".xlsx", ".xls", ".csv", ".xlsm"]))
def test_fuzz_random_bytes(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    _read_all(path)


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), min_size=1, max_size=8))
def test_fuzz_mutated_xlsx(tmp_path: Path, flips: list[tuple[int, int]]) -> None:
    source = tmp_path / "source.xlsx"
    if not source.exists():
        valid_xlsx(source, rows=50)
    data = bytearray(source.read_bytes())
    for at, value in flips:
        data[at % len(data)] = value
    path = tmp_path / "mutated.xlsx"
    path.write_bytes(bytes(data))
    _read_all(path)


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), min_size=1, max_size=8))
def test_fuzz_mutated_xls(tmp_path: Path, flips: list[tuple[int, int]]) -> None:
    data = bytearray((Path(__file__).parent / "fixtures" / "households.xls").read_bytes())
    for at, value in flips:
        data[at % len(data)] = value
    path = tmp_path / "mutated.xls"
    path.write_bytes(bytes(data))
    _read_all(path)


@FUZZ
@given(cells=st.lists(st.lists(st.text(max_size=30), max_size=12), max_size=40), cut=st.integers(min_value=0))
def test_fuzz_csv(tmp_path: Path, cells: list[list[str]], cut: int) -> None:
    out = io.StringIO()
    csv.writer(out).writerows(cells)
    raw = out.getvalue().encode("utf-8", "surrogatepass")
    rng = random.Random(cut)
    mutated = bytearray(raw)
    for _ in range(min(3, len(mutated))):
        mutated[rng.randrange(len(mutated))] = rng.randrange(256)
    path = tmp_path / "fuzz.csv"
    path.write_bytes(bytes(mutated))
    _read_all(path)
