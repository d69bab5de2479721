"""Masks of personal numbers, written out value by value (domain 7.4 disclosure with names masked).

Each case is the shown text literally: an 18-digit ID number keeps its address code and its last
four (the birth date YYYYMMDD goes), a 15-digit one its address code and its 3-digit sequence, a
mobile number 3 + 4, a bank card 4 + 4, a name its surname; short, empty and odd values never show
more than their kind may, and an undecryptable value ("无法解密") is shown as it is.
"""

from __future__ import annotations

import pytest

from core.crypto import UNREADABLE
from core.masking import _keep, mask_bank_account, mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    "value, shown",
    [
        ("610826196805121234", "610826********1234"),
        ("11010519491231002X", "110105********002X"),
        ("610826680512123", "610826******123"),  # an old 15-digit number: the 6-digit birth date goes
        ("", ""),
        ("X", "*"),
        ("1234", "****"),
        ("12345", "1***5"),
        ("123456789", "12*****89"),
        ("1234567890123456", "123**********456"),
        ("12345678901234567", "1234*********4567"),
        ("1234567890123456789", "1234***********6789"),
    ],
)
def test_id_numbers(value: str, shown: str) -> None:
    assert mask_id_number(value) == shown


@pytest.mark.parametrize(
    "value, shown",
    [
        ("13812345678", "138****5678"),
        ("+8613812345678", "+86*******5678"),
        ("091212345678", "091*****5678"),
        ("1234567890", "******7890"),
        ("123456789", "*****6789"),
        ("12345678", "*****678"),
        ("1234567", "****567"),
        ("123456", "******"),
        ("12", "**"),
        ("1", "*"),
        ("", ""),
    ],
)
def test_phone_numbers(value: str, shown: str) -> None:
    assert mask_phone(value) == shown


@pytest.mark.parametrize(
    "value, shown",
    [
        ("6230000011112222333", "6230***********2333"),
        ("6230000011112222", "6230********2222"),
        ("623000001111222", "***********1222"),
        ("1234567890", "******7890"),
        ("123456789", "*****6789"),
        ("12345678", "********"),
        ("1234", "****"),
        ("1", "*"),
        ("", ""),
    ],
)
def test_bank_accounts(value: str, shown: str) -> None:
    assert mask_bank_account(value) == shown


@pytest.mark.parametrize(
    "value, shown",
    [("王建国", "王**"), ("欧阳娜娜", "欧***"), ("王五", "王*"), ("王", "*"), ("", "")],
)
def test_names(value: str, shown: str) -> None:
    assert mask_name(value) == shown


@pytest.mark.parametrize("mask", [mask_id_number, mask_phone, mask_bank_account, mask_name])
def test_an_undecryptable_value_is_shown_as_it_is(mask) -> None:
    assert mask(UNREADABLE) == "无法解密"
    assert type(mask(UNREADABLE)) is type(UNREADABLE)


@pytest.mark.parametrize("mask", [mask_id_number, mask_phone, mask_bank_account, mask_name])
def test_no_mask_shows_half_of_a_short_value_or_changes_its_length(mask) -> None:
    for length in range(1, 11):  # shorter than any full number (mobile 11, card 16, ID 15 or 18)
        value = "".join(str(i % 10) for i in range(length))
        shown = mask(value)
        assert len(shown) == length
        assert shown.count("*") * 2 >= length  # at least half hidden, whatever the length
        assert all(c == "*" or c == v for c, v in zip(shown, value, strict=True))


@pytest.mark.parametrize(
    "value, head, tail, shown",
    [
        ("abcdef", 2, 2, "ab**ef"),
        ("abcd", 2, 2, "****"),  # nothing would be hidden: everything is
        ("abc", 2, 2, "***"),
        ("abcdef", 0, 0, "******"),
        ("abcdef", 0, 1, "*****f"),
        ("abcdef", 1, 0, "a*****"),
    ],
)
def test_the_common_rule_stars_a_value_whole_when_nothing_would_be_hidden(value: str, head: int, tail: int, shown: str) -> None:
    assert _keep(value, head, tail) == shown
