"""The bank payment file and the bank's return file 回盘 (domain 7.4), written out line by line.

The payment file's columns, its numbering and its amounts are literal here; a return file's lines
are numbered as the rows of the file the county official opens (a bank's title row above the header
counts), and a line is matched to its payment only when amount, account and name agree with what was
sent. Nothing is computed from funds.bankfile's own constants.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from core.crypto import UNREADABLE, blind_index
from funds import bankfile
from funds.models import Payment
from funds.tests.test_bank_file_safety import approved  # noqa: F401  (fixture)
from funds.tests.test_money import checker, two_accepted  # noqa: F401  (fixtures)

PAYMENT_COLUMNS = ["序号", "业务参考号", "收款账号", "户名", "身份证号", "金额", "开户银行", "摘要"]
RETURN_COLUMNS = [*PAYMENT_COLUMNS, "处理结果", "失败原因"]


def csv_file(path: Path, rows: list[list[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as out:
        csv.writer(out).writerows(rows)
    return path


def line(n: int, ref: str, account: str = "6230000011112222333", name: str = "郝建国", amount: str = "5000.00",
         result: str = "成功", reason: str = "") -> list[str]:  # fmt: skip
    summary = "2026年农村危房改造补助（竣工）"
    return [str(n), ref, account, name, "610826196805121239", amount, "陕西信合", summary, result, reason]


def read(path: Path) -> list[bankfile.ReturnLine]:
    return list(bankfile.read_return(path, path.name))


def test_return_lines_are_numbered_as_the_rows_of_the_file(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "back.csv", [RETURN_COLUMNS, line(1, "R1"), line(2, "R2"), ["", " ", ""], line(3, "R3")])
    lines = read(path)
    assert [(x.line, x.reference) for x in lines] == [(2, "R1"), (3, "R2"), (5, "R3")]  # row 4 is blank: skipped, still counted
    first = lines[0]
    assert (first.account, first.name, first.amount, first.reason) == ("6230000011112222333", "郝建国", Decimal("5000.00"), "")


def test_the_upload_is_read_by_the_name_it_was_given(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "upload-3f2a", [RETURN_COLUMNS, line(1, "R1")])  # stored without its suffix
    assert [x.reference for x in bankfile.read_return(path, "陕西信合回盘.csv")] == ["R1"]


def test_a_bank_title_row_above_the_header_counts_in_the_line_numbers(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path / "back.csv",
        [["陕西信合代发工资回盘文件"], ["批次：2026-03", ""], RETURN_COLUMNS, line(1, "R1"), line(2, "R2")],
    )
    assert [(x.line, x.reference) for x in read(path)] == [(4, "R1"), (5, "R2")]


def test_the_cells_of_a_line_are_read_from_the_columns_the_header_names(tmp_path: Path) -> None:
    header = ["失败说明", "状态", "金额(元)", "姓名", "收款人账号", "银行业务参考号", "备注"]
    path = csv_file(
        tmp_path / "back.csv",
        [[f" {h} " for h in header], ["账户已销户", " 失败 ", " 1,234.5 ", " 白彩云 ", " 623000001111 ", " R9 ", "x"]],
    )
    (got,) = read(path)
    assert (got.line, got.reference, got.account, got.name, got.amount, got.reason) == (
        2, "R9", "623000001111", "白彩云", Decimal("1234.50"), "账户已销户",
    )  # fmt: skip
    assert got.raw == ["账户已销户", " 失败 ", " 1,234.5 ", " 白彩云 ", " 623000001111 ", " R9 ", "x"]


def test_a_short_line_leaves_its_missing_cells_empty(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "back.csv", [RETURN_COLUMNS, ["1", "R1", "6230000011112222333"]])
    (got,) = read(path)
    assert (got.reference, got.account, got.name, got.amount, got.reason) == ("R1", "6230000011112222333", "", None, "")


@pytest.mark.parametrize(
    "written, amount",
    [("5000", Decimal("5000.00")), ("4500.5", Decimal("4500.50")), ("1,234.56", Decimal("1234.56")), ("", None),
     ("五千", None), ("12a", None)],
)  # fmt: skip
def test_amounts_are_read_in_yuan_to_the_fen_or_left_empty(tmp_path: Path, written: str, amount: Decimal | None) -> None:
    path = csv_file(tmp_path / "back.csv", [RETURN_COLUMNS, line(1, "R1", amount=written)])
    assert read(path)[0].amount == amount


def test_a_return_file_without_a_reference_column_is_refused(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "back.csv", [["序号", "账号", "处理结果"], ["1", "623", "成功"]])
    with pytest.raises(ValueError) as refused:
        read(path)
    assert str(refused.value) == "回盘文件中找不到表头（须有“业务参考号”列）"


def test_a_return_file_without_a_result_column_is_refused(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "back.csv", [PAYMENT_COLUMNS, line(1, "R1")[:8]])
    with pytest.raises(ValueError) as refused:
        read(path)
    assert str(refused.value) == "回盘文件中找不到“处理结果”列"


@pytest.mark.parametrize("title", ["处理结果", "状态", "交易结果"])
def test_the_result_column_may_be_titled_as_banks_title_it(tmp_path: Path, title: str) -> None:
    path = csv_file(tmp_path / "back.csv", [["业务参考号", "失败原因", title], ["R1", "户名不符", "失败"]])
    (got,) = read(path)
    assert got.raw == ["R1", "户名不符", "失败"] and got.reason == "户名不符"


def test_an_excel_return_file_gives_dates_and_numbers_as_text(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["业务参考号", "金额", "处理结果", "交易日期"])
    sheet.append(["R1", 5000, "成功", dt.date(2026, 11, 20)])
    book.save(tmp_path / "back.xlsx")
    (got,) = read(tmp_path / "back.xlsx")
    assert got.line == 2 and got.amount == Decimal("5000.00")
    assert isinstance(got.raw[3], str) and got.raw[3].startswith("2026-11-20")
    assert got.raw[:3] == ["R1", 5000, "成功"] and not isinstance(got.raw[1], str)  # a number stays a number


SENT_ACCOUNT = "6230000011112222333"


def sent(amount: str = "5000.00", name: str = "郝建国") -> Payment:
    payment = Payment(amount=Decimal(amount), payee_name=name)
    payment.account_hash = blind_index(SENT_ACCOUNT)
    return payment


def returned(amount: str | None = "5000.00", account: str = SENT_ACCOUNT, name: str = "郝建国") -> bankfile.ReturnLine:
    value = None if amount is None else Decimal(amount)
    return bankfile.ReturnLine(2, "R1", account, name, value, None, "", [])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "back, why",
    [
        (returned(), None),
        (returned(amount=None, account="", name=""), None),  # nothing to compare: the reference decides
        (returned(account="6230 0000 1111 2222 333"), None),  # the bank groups digits in fours
        (returned(amount="4999.99"), "金额不符（回盘 4999.99，应付 5000.00）"),
        (returned(amount="50000.00"), "金额不符（回盘 50000.00，应付 5000.00）"),
        (returned(account="6230000011112222334"), "收款账号与拨付时不符"),
        (returned(account="623000001111222233"), "收款账号与拨付时不符"),
        (returned(name="郝建军"), "户名与拨付时不符"),
        (returned(amount="1.00", account="999", name="某某"), "金额不符（回盘 1.00，应付 5000.00）"),
        (returned(account="999", name="某某"), "收款账号与拨付时不符"),
    ],
)
def test_a_line_is_the_payment_only_when_amount_account_and_name_agree(back: bankfile.ReturnLine, why: str | None) -> None:
    assert bankfile.mismatch(sent(), back) == why


# The payment file, as the bank receives it.


def test_the_payment_file_numbers_its_lines_and_writes_amounts_in_yuan(approved: Any, tmp_path: Path) -> None:  # noqa: F811
    payments = list(Payment.objects.filter(batch=approved).order_by("id"))
    assert bankfile.write(approved, tmp_path / "pay.csv") == 2
    assert (tmp_path / "pay.csv").read_bytes().startswith("\ufeff序号,".encode())  # UTF-8 with a BOM: Excel reads it right
    rows = list(csv.reader((tmp_path / "pay.csv").open(encoding="utf-8-sig")))
    assert rows[0] == PAYMENT_COLUMNS
    year = approved.year
    assert rows[1:] == [
        ["1", payments[0].reference, "6230000000000000000", "郝建国", payments[0].payee_id, "5000.00", "陕西信合",
         f"{year}年农村危房改造补助（{payments[0].get_stage_display()}）"],
        ["2", payments[1].reference, "6230000000000000001", "白彩云", payments[1].payee_id, "4500.50", "陕西信合",
         f"{year}年农村危房改造补助（{payments[1].get_stage_display()}）"],
    ]  # fmt: skip


def test_only_pending_payments_go_to_the_bank_numbered_from_one(approved: Any, tmp_path: Path) -> None:  # noqa: F811
    first, second = Payment.objects.filter(batch=approved).order_by("id")
    Payment.objects.filter(pk=first.pk).update(status="paid")
    assert bankfile.write(approved, tmp_path / "pay.csv") == 1
    rows = list(csv.reader((tmp_path / "pay.csv").open(encoding="utf-8-sig")))
    assert [r[:2] for r in rows[1:]] == [["1", second.reference]]
    assert bankfile.write(approved, tmp_path / "pay.xlsx") == 1
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "pay.xlsx").worksheets[0]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[1] == PAYMENT_COLUMNS  # under the sheet's title row
    assert [str(cells[2][0]), cells[2][1], cells[2][2], cells[2][5]] == ["1", second.reference, "6230000000000000001", "4500.50"]


def test_a_payment_whose_numbers_do_not_open_stops_the_file(
    approved: Any,  # noqa: F811
    tmp_path: Path,
    django_assert_num_queries: Any,
) -> None:
    first, second = Payment.objects.filter(batch=approved).order_by("id")
    Payment.objects.filter(pk=second.pk).update(account_enc=b"not a ciphertext")
    with django_assert_num_queries(1):  # one read for the whole batch, whatever its size
        assert bankfile.unreadable(approved) == [second.reference]
    assert Payment.objects.get(pk=second.pk).account == UNREADABLE
    with pytest.raises(ValidationError) as refused:
        bankfile.write(approved, tmp_path / "pay.csv")
    assert refused.value.messages == [f"拨付明细 {second.reference} 的账号或身份证号无法解密，不能生成银行文件：请核实该户档案"]
    Payment.objects.filter(pk=second.pk).update(status="paid")  # only pending lines are looked at
    assert bankfile.unreadable(approved) == []
    Payment.objects.filter(pk=first.pk).update(payee_id_enc=b"not a ciphertext")
    assert bankfile.unreadable(approved) == [first.reference]


def test_the_excel_payment_file_keeps_account_and_id_numbers_as_text_and_whole(approved: Any, tmp_path: Path) -> None:  # noqa: F811
    import re
    import zipfile

    bankfile.write(approved, tmp_path / "pay.xlsx")
    sheet = zipfile.ZipFile(tmp_path / "pay.xlsx").read("xl/worksheets/sheet1.xml").decode()
    columns = [
        (int(n), int(w), 'style="3"' in rest)
        for n, w, rest in re.findall(r'<col min="(\d+)" max="\d+" width="(\d+)"([^>]*)/>', sheet)
    ]
    # 业务参考号, 收款账号 and 身份证号 are text (Excel would turn 19 digits into 6.23E+18), wide enough to read whole
    assert columns == [(1, 6, False), (2, 24, True), (3, 24, True), (4, 10, False), (5, 20, True), (6, 12, False),
                       (7, 18, False), (8, 30, False)]  # fmt: skip


@pytest.mark.parametrize(
    "written, compared",
    [(None, ""), ("", ""), ("  交易\u3000 成功 ", "交易 成功"), ("ＳＵＣＣＥＳＳ", "success"), ("成功。", "成功."),
     ("（处理中）", "(处理中)"), ("Paid", "paid")],
)  # fmt: skip
def test_a_result_is_compared_as_written_less_width_case_and_spacing(written: str | None, compared: str) -> None:
    assert bankfile.normal(written) == compared


def test_only_the_batch_s_own_payments_are_looked_at(approved: Any) -> None:  # noqa: F811
    from funds.models import DisbursementBatch

    other = DisbursementBatch.objects.get(pk=approved.pk)
    other.pk = None
    other.name, other.number = f"{approved.name}（另一批）", approved.number + 100
    other.save()
    _first, second = Payment.objects.filter(batch=approved).order_by("id")
    Payment.objects.filter(pk=second.pk).update(batch=other, account_enc=b"not a ciphertext")
    assert bankfile.unreadable(approved) == []
    assert bankfile.unreadable(other) == [second.reference]
