"""A batch as an Excel workbook for the county's own files: its lines (account numbers masked) and, on a
second sheet, every case the batch left out with the reason (未纳入本批次的改造户)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xlsxwriter

from core.masking import mask_bank_account
from funds.models import DisbursementBatch
from regions.selectors import name_of


def write(path: Path, batch: DisbursementBatch, exclusions: Any) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    head = book.add_format({"bold": True, "border": 1, "bg_color": "#F1F3F5"})
    money = book.add_format({"num_format": "#,##0.00"})
    sheet = book.add_worksheet("拨付明细")
    sheet.write_row(0, 0, [f"{batch.name}（{batch.get_status_display()}）"])
    sheet.write_row(1, 0, ["业务参考号", "户名", "村", "拨付阶段", "金额（元）", "收款账号", "状态", "银行反馈"], head)
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 7, 14)
    row = 2
    for p in batch.payments.order_by("id").iterator(chunk_size=5000):
        sheet.write_row(row, 0, [p.reference, p.payee_name, name_of(p.region_code)])
        sheet.write(row, 3, p.get_stage_display())
        sheet.write_number(row, 4, float(p.amount), money)
        account = mask_bank_account(p.account) if isinstance(p.account, str) else "无法解密"
        sheet.write_row(row, 5, [account, p.get_status_display(), p.bank_message])
        row += 1
    left = book.add_worksheet("未纳入本批次的改造户")
    left.write_row(0, 0, ["改造户编号", "户主", "村", "未纳入原因"], head)
    left.set_column(0, 2, 14)
    left.set_column(3, 3, 60)
    for n, e in enumerate(exclusions.order_by("region_code", "case_id").iterator(chunk_size=5000), 1):
        left.write_row(n, 0, [e.case_id, e.payee_name, name_of(e.region_code), e.reason])
    book.close()
