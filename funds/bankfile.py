"""The bank payment file and the bank's return file (回盘): one documented layout, .xlsx or .csv.

Payment file columns (one line per payment, the amount in yuan with two decimals, numbers as text):

    序号 | 业务参考号 | 收款账号 | 户名 | 身份证号 | 金额 | 开户银行 | 摘要

The return file is the same lines with two more columns: 处理结果 (成功 / 失败) and 失败原因. The
reference (业务参考号) identifies the payment; account, name and amount must agree with what was sent,
or the line is reported as unmatched rather than guessed.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.crypto import Unreadable
from exchange.readers import read_rows
from exchange.xlsx_stream import write_rows_fast
from funds.models import DisbursementBatch, Payment

HEADER = ["序号", "业务参考号", "收款账号", "户名", "身份证号", "金额", "开户银行", "摘要"]
RETURN_EXTRA = ["处理结果", "失败原因"]
PAID_WORDS = ("成功", "已入账", "入账成功", "success", "paid")
FAILED_WORDS = ("失败", "退回", "退票", "fail", "failed")


def unreadable(batch: DisbursementBatch) -> list[str]:
    """References of the batch's pending lines whose account or ID number does not open (core.crypto)."""
    # batch_id too: the related manager reads it on every row it hands back (one query a row when deferred)
    payments = batch.payments.filter(status="pending").only("id", "batch_id", "reference", "payee_id_enc", "account_enc")
    return [p.reference for p in payments.iterator(chunk_size=5000)
            if isinstance(p.account, Unreadable) or isinstance(p.payee_id, Unreadable)]  # fmt: skip


def lines(batch: DisbursementBatch) -> Iterator[list[Any]]:
    summary = f"{batch.year}年农村危房改造补助"
    payments = batch.payments.filter(status="pending").order_by("id")
    for n, p in enumerate(payments.iterator(chunk_size=5000), 1):
        if isinstance(p.account, Unreadable) or isinstance(p.payee_id, Unreadable):
            raise ValidationError(
                _("拨付明细 %(r)s 的账号或身份证号无法解密，不能生成银行文件：请核实该户档案") % {"r": p.reference}
            )
        yield [
            n,
            p.reference,
            p.account,
            p.payee_name,
            p.payee_id,
            f"{p.amount:.2f}",
            p.bank_name,
            f"{summary}（{p.get_stage_display()}）",
        ]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not run (OWASP CSV injection): text beginning with = + - @ tab or CR
    gets a leading apostrophe, which Excel and WPS show as text and do not print. Numbers are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write(batch: DisbursementBatch, path: Path) -> int:
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8-sig") as out:  # Excel opens UTF-8 with a BOM
            writer = csv.writer(out)
            writer.writerow(HEADER)
            count = 0
            for row in lines(batch):
                writer.writerow([neutral(c) for c in row])
                count += 1
        return count
    return write_rows_fast(
        path,
        title=f"{batch.name} 拨付明细",
        header=HEADER,
        rows=lines(batch),
        text_columns=[1, 2, 4],
        widths=[6, 24, 24, 10, 20, 12, 18, 30],
    )


@dataclass
class ReturnLine:
    line: int
    reference: str
    account: str
    name: str
    amount: Decimal | None
    paid: bool | None  # None: the result is not one we know
    reason: str
    raw: list[Any]


def _find(header: list[str], *words: str) -> int | None:
    return next((i for i, h in enumerate(header) if any(w in h for w in words)), None)


def read_return(path: Path, original_name: str) -> Iterator[ReturnLine]:
    rows = read_rows(path, original_name)
    header: list[str] = []
    header_row = 0  # lines are numbered as the file's rows: a bank's title rows above the header count
    for row in rows:  # the header is the first row that names a reference column
        header_row += 1
        cells = [str(c or "").strip() for c in row]
        if any("参考号" in c for c in cells):
            header = cells
            break
    if not header:
        raise ValueError("回盘文件中找不到表头（须有“业务参考号”列）")
    cols = {
        "reference": _find(header, "参考号"),
        "account": _find(header, "账号"),
        "name": _find(header, "户名", "姓名"),
        "amount": _find(header, "金额"),
        "result": _find(header, "处理结果", "状态", "结果"),
        "reason": _find(header, "原因", "说明"),
    }
    if cols["result"] is None:
        raise ValueError("回盘文件中找不到“处理结果”列")

    def cell(row: list[Any], key: str) -> str:
        i = cols[key]
        return str(row[i]).strip() if i is not None and i < len(row) and row[i] is not None else ""

    for n, row in enumerate(rows, start=header_row + 1):
        if not any(str(c or "").strip() for c in row):
            continue
        result = cell(row, "result").lower()
        paid = (
            True
            if any(w in result for w in PAID_WORDS) and "失败" not in result
            else (False if any(w in result for w in FAILED_WORDS) else None)
        )
        try:
            amount = Decimal(cell(row, "amount").replace(",", "")).quantize(Decimal("0.01")) if cell(row, "amount") else None
        except InvalidOperation:
            amount = None
        yield ReturnLine(
            n,
            cell(row, "reference"),
            cell(row, "account"),
            cell(row, "name"),
            amount,
            paid,
            cell(row, "reason"),
            [str(c) if isinstance(c, (dt.date, Decimal)) else c for c in row],
        )


def mismatch(payment: Payment, line: ReturnLine) -> str | None:
    """Why a return line cannot be the payment its reference names (None when everything agrees).

    The account is compared by its blind index, so fifty thousand lines need no decryption."""
    from core.crypto import blind_index

    if line.amount is not None and line.amount != payment.amount:
        return f"金额不符（回盘 {line.amount}，应付 {payment.amount}）"
    if line.account and blind_index(line.account.replace(" ", "")) != payment.account_hash:
        return "收款账号与拨付时不符"
    if line.name and line.name != payment.payee_name:
        return "户名与拨付时不符"
    return None
