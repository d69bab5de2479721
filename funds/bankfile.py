"""The bank payment file and the bank's return file (回盘): one documented layout, .xlsx or .csv.

Payment file columns (one line per payment, the amount in yuan with two decimals, numbers as text):

    序号 | 业务参考号 | 收款账号 | 户名 | 身份证号 | 金额 | 开户银行 | 摘要

The return file is the same lines with two more columns: 处理结果 and 失败原因. The reference (业务参考号)
identifies the payment; account, name and amount must agree with what was sent, or the line is reported
as unmatched rather than guessed.

The result is read from a table of each bank's words (`RESULT_WORDS`, a default table for banks not
listed): paid, failed or still in progress, matched as the WHOLE value after normalising (`normal`:
NFKC, which turns full-width letters, digits, spaces and ASCII punctuation half-width, then Chinese
punctuation to ASCII, case and surrounding spaces dropped), never by substring: 未成功 or 不成功 are not
成功. A result not in the table leaves the line unmatched, with the bank's text, for a person to decide.
"""

from __future__ import annotations

import csv
import datetime as dt
import unicodedata
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
PAID, FAILED, WAITING = "paid", "failed", "pending"
DEFAULT_BANK = ""
# Per bank (its name as on the payment, normalised), the whole result values for each outcome.
RESULT_WORDS: dict[str, dict[str, frozenset[str]]] = {
    DEFAULT_BANK: {
        PAID: frozenset({"成功", "交易成功", "处理成功", "入账成功", "已入账", "代发成功", "success", "paid"}),
        FAILED: frozenset({"失败", "交易失败", "处理失败", "入账失败", "代发失败", "退回", "已退回", "退票", "fail", "failed"}),
        WAITING: frozenset({"处理中", "银行处理中", "待处理", "已受理", "processing", "pending"}),
    },
    # 陕西信合 (the rural credit union's 一卡通): its return file also writes 已到账 / 未到账.
    "陕西信合": {
        PAID: frozenset({"成功", "交易成功", "入账成功", "已入账", "已到账", "success"}),
        FAILED: frozenset({"失败", "交易失败", "入账失败", "退回", "退票", "未到账", "fail", "failed"}),
        WAITING: frozenset({"处理中", "待处理", "已受理", "pending"}),
    },
}
PUNCTUATION = str.maketrans({"。": ".", "，": ",", "、": ",", "：": ":", "；": ";", "！": "!", "？": "?", "（": "(", "）": ")",
                             "【": "[", "】": "]", "“": '"', "”": '"', "‘": "'", "’": "'"})  # fmt: skip


def normal(text: Any) -> str:
    """A result or bank name as compared: NFKC (full-width to half-width), Chinese punctuation as ASCII,
    runs of spaces as one, no spaces around, ASCII lower case."""
    value = unicodedata.normalize("NFKC", str(text or "")).translate(PUNCTUATION)
    return " ".join(value.split()).lower()


WORDS = {normal(bank): {k: frozenset(normal(w) for w in v) for k, v in table.items()} for bank, table in RESULT_WORDS.items()}


def outcome(result: Any, bank_name: str = "") -> str | None:
    """paid / failed / pending for a result the bank's table knows as a whole value; None for anything else."""
    table = WORDS.get(normal(bank_name)) or WORDS[DEFAULT_BANK]
    value = normal(result)
    return next((kind for kind in (PAID, FAILED, WAITING) if value in table[kind]), None)


def unreadable(batch: DisbursementBatch) -> list[str]:
    """References of the batch's pending lines whose account or ID number does not open (core.crypto)."""
    # not batch.payments: the related manager sets each row's batch, which reads the deferred batch_id (a query a row)
    payments = Payment.objects.filter(batch=batch, status="pending").only("id", "reference", "payee_id_enc", "account_enc")
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
    result: str  # the bank's own words, read with `outcome` against the payment's bank
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
            cell(row, "result"),
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
