"""The yearly summary as an Excel sheet: cases by mode, then allocations and batches, merged title rows."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from funds.selectors import YearSummary
from regions.selectors import name_of


def write(path: Path, s: YearSummary) -> None:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("年度汇总")
    title = book.add_format({"bold": True, "font_size": 14, "align": "center"})
    head = book.add_format({"bold": True, "border": 1, "align": "center", "bg_color": "#F1F3F5"})
    cell = book.add_format({"border": 1})
    money = book.add_format({"border": 1, "num_format": "#,##0.00"})
    bold_money = book.add_format({"border": 1, "num_format": "#,##0.00", "bold": True})
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 5, 14)
    sheet.merge_range(0, 0, 0, 5, f"{name_of(s.county)}{s.year}年农村危房改造年度汇总", title)
    sheet.write_row(2, 0, ["改造方式", "户数", "开工", "竣工", "验收", "拨付"], head)
    row = 3
    for r in [*s.rows, s.total]:
        sheet.write_row(row, 0, [r.label, r.cases, r.started, r.completed, r.accepted, r.paid], cell)
        row += 1
    row += 1
    sheet.write_row(row, 0, ["资金下达文号", "下达日期", "金额（元）"], head)
    row += 1
    for a in s.allocations:
        sheet.write(row, 0, a.document_no, cell)
        sheet.write(row, 1, a.issued_on.isoformat(), cell)
        sheet.write_number(row, 2, float(a.amount), money)
        row += 1
    sheet.write(row, 0, "下达合计", cell)
    sheet.write_number(row, 2, float(s.allocated), bold_money)
    row += 2
    sheet.write_row(row, 0, ["拨付批次", "笔数", "拨付金额（元）", "银行确认（元）"], head)
    row += 1
    for b, confirmed in s.batches:
        sheet.write_row(row, 0, [b.name, b.count], cell)
        sheet.write_number(row, 2, float(b.total), money)
        sheet.write_number(row, 3, float(confirmed), money)
        row += 1
    sheet.write(row, 0, "拨付合计", cell)
    sheet.write_number(row, 2, float(s.disbursed), bold_money)
    row += 2
    ledger = s.ledger
    for label, value in (
        ("已下达", ledger.allocated),
        ("已拨付", ledger.disbursed),
        ("银行确认到账", ledger.confirmed),
        ("失败待重发", ledger.failed),
        ("待银行确认", ledger.pending),
        ("结余", ledger.balance),
    ):
        sheet.write(row, 0, label, cell)
        sheet.write_number(row, 2, float(value), money)
        row += 1
    book.close()
