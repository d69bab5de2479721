"""Stage 1 of reading a ledger: every sheet, merged ranges filled (and nothing else), the limits over
the whole workbook."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchange.ledger.layout import Columns, skip_reason
from exchange.ledger.sheets import fill_merged, read_sheets
from exchange.readers import UnreadableFile


@st.composite
def grids_with_merges(draw: st.DrawFn) -> tuple[list[list[object]], list[tuple[int, int, int, int]]]:
    height, width = draw(st.integers(1, 8)), draw(st.integers(1, 6))
    cell = st.one_of(st.just(""), st.text("甲乙丙丁", min_size=1, max_size=2), st.integers(0, 9))
    grid = [[draw(cell) for _ in range(width)] for _ in range(height)]
    taken: set[tuple[int, int]] = set()
    merges = []
    for _ in range(draw(st.integers(0, 4))):
        r0, c0 = draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1))
        r1, c1 = draw(st.integers(r0, height - 1)), draw(st.integers(c0, width + 1))  # may reach past the data
        cells = {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        if len(cells) > 1 and not cells & taken:
            taken |= cells
            merges.append((r0, c0, r1, c1))
    return grid, merges


@given(grids_with_merges())
def test_merged_ranges_hold_their_top_left_value_and_nothing_else_changes(case):
    grid, merges = case
    filled = list(fill_merged(iter([list(r) for r in grid]), merges))
    assert len(filled) == len(grid)
    covered = {}
    for r0, c0, r1, c1 in merges:
        top_left = grid[r0][c0] if c0 < len(grid[r0]) else ""
        covered |= {(r, c): top_left for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    for r, row in enumerate(filled):
        for c, value in enumerate(row):
            original = grid[r][c] if c < len(grid[r]) else ""
            assert value == covered.get((r, c), original)  # a blank outside a merge stays blank


@given(st.lists(st.one_of(st.none(), st.text(max_size=8)), max_size=6), st.integers(0, 6),
       st.sampled_from(["610826196805121234", "61082619680512123X", "610826680512123", 6.10826196805121e17]))  # fmt: skip
def test_a_line_with_an_id_number_anywhere_is_never_skipped(cells, at, number):
    line = [*cells[:at], number, *cells[at:]]
    assert skip_reason(line, Columns(name=0, ident=1)) is None
    assert skip_reason(line, Columns(name=None, ident=None)) is None


def test_hidden_and_empty_sheets_are_named_and_not_read(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "一"
    book.active.append(["a"])
    hidden = book.create_sheet("藏")
    hidden.append(["b"])
    hidden.sheet_state = "hidden"
    book.create_sheet("空")
    book.save(tmp_path / "a.xlsx")
    sheets = [(s.name, s.skipped, list(s.rows)) for s in read_sheets(tmp_path / "a.xlsx")]
    assert sheets == [("一", "", [["a"]]), ("藏", "隐藏的工作表，未读取", []), ("空", "空工作表", [])]


def test_a_sheet_that_starts_further_right_keeps_its_columns(tmp_path):
    book = openpyxl.Workbook()
    book.active["C2"] = "x"
    book.active.merge_cells("C3:D3")
    book.active["C3"] = "m"
    book.save(tmp_path / "a.xlsx")
    (sheet,) = read_sheets(tmp_path / "a.xlsx")
    assert list(sheet.rows) == [["", "", ""], ["", "", "x"], ["", "", "m", "m"]]  # column C stays the third


def test_the_row_limit_holds_for_all_sheets_together(settings, tmp_path):
    settings.ANJU_IMPORT_MAX_ROWS = 100
    book = openpyxl.Workbook()
    for name in ("一", "二"):
        sheet = book.create_sheet(name)
        for n in range(60):
            sheet.append([n])
    book.remove(book["Sheet"])
    book.save(tmp_path / "a.xlsx")
    with pytest.raises(UnreadableFile, match="超过每个文件 100 行的上限"):
        for s in read_sheets(tmp_path / "a.xlsx"):
            list(s.rows)


def test_a_csv_is_one_sheet(tmp_path):
    path = Path(tmp_path / "a.csv")
    path.write_text("户主姓名,户主身份证号\n郝建国,1\n", encoding="utf-8")
    (sheet,) = read_sheets(path)
    assert (sheet.name, list(sheet.rows)) == ("", [["户主姓名", "户主身份证号"], ["郝建国", "1"]])
