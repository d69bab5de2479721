"""The weekly inspection statistics table as an .xlsx shaped like the official one: a title, the
reporting unit and period, two header rows with merged group headings, one row per unit and a
totals row."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from inspections.selectors import WeeklyTable
from regions.selectors import name_of

GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("农户数", (("households", "合计"), ("key_households", "其中重点对象"))),
    ("已排查农户", (("inspected", "累计"), ("inspected_key", "其中重点对象"), ("this_week", "本周"))),
    ("排查结论", (("safe", "基本安全"), ("suspect", "疑似不安全"))),
    ("鉴定情况", (("appraised", "已鉴定"), ("A", "A级"), ("B", "B级"), ("C", "C级"), ("D", "D级"))),
)
COLUMN_COUNT = 2 + sum(len(cols) for _g, cols in GROUPS)


def write(path: Path, table: WeeklyTable, note: str = "") -> None:
    """`note`: whom the figures cover, where a closed campaign and the archive differ (below the totals)."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("排查情况统计表")
    title = book.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    info = book.add_format({"font_size": 10})
    head = book.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True,
                            "bg_color": "#DDEBF7"})  # fmt: skip
    cell = book.add_format({"border": 1, "align": "center"})
    name = book.add_format({"border": 1})
    total = book.add_format({"border": 1, "bold": True, "align": "center", "bg_color": "#F2F2F2"})
    percent = book.add_format({"border": 1, "align": "center", "num_format": "0.0"})
    last = COLUMN_COUNT  # the progress column comes after the groups
    sheet.merge_range(0, 0, 0, last, "农户住房安全排查情况统计表", title)
    sheet.set_row(0, 30)
    unit = name_of(table.prefix) or table.prefix
    sheet.merge_range(1, 0, 1, last, f"填报单位：{unit}　　统计时段：{table.start:%Y年%m月%d日}至{table.week_end:%Y年%m月%d日}"
                      f"（本周 {table.week_start:%m月%d日}—{table.week_end:%m月%d日}）", info)  # fmt: skip
    sheet.merge_range(2, 0, 3, 0, "序号", head)
    sheet.merge_range(2, 1, 3, 1, "乡镇（村）", head)
    col = 2
    keys: list[str] = []
    for group, columns in GROUPS:
        sheet.merge_range(2, col, 2, col + len(columns) - 1, group, head)
        for key, label in columns:
            sheet.write(3, col, label, head)
            keys.append(key)
            col += 1
    sheet.merge_range(2, col, 3, col, "排查进度（%）", head)
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, 1, 18)
    sheet.set_column(2, col, 10)
    r = 4
    for i, row in enumerate(table.rows, start=1):
        sheet.write_number(r, 0, i, cell)
        sheet.write_string(r, 1, row.name or row.code, name)
        for c, key in enumerate(keys, start=2):
            sheet.write_number(r, c, row.values[key], cell)
        sheet.write_number(r, col, row.percent, percent)
        r += 1
    sheet.merge_range(r, 0, r, 1, "合计", total)
    for c, key in enumerate(keys, start=2):
        sheet.write_number(r, c, table.total.values[key], total)
    sheet.write_number(r, col, table.total.percent, total)
    if note:
        sheet.merge_range(r + 2, 0, r + 2, last, note, book.add_format({"font_size": 10, "text_wrap": True}))
        sheet.set_row(r + 2, 45)
    sheet.freeze_panes(4, 2)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    book.close()
