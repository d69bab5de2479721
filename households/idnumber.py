"""Resident ID numbers (GB 11643-1999): cleaning, check character, birth date, 15 to 18 digits."""

from __future__ import annotations

import datetime as dt
import operator
import unicodedata
from typing import NamedTuple

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH = dt.date(1880, 1, 1)


class IdNumberError(ValueError):
    """Raised with a message in Chinese that a user can act on."""


class IdNumber(NamedTuple):  # a named tuple: made once per imported row, 5 times quicker than a frozen dataclass
    value: str  # 18 characters, upper-case X
    birth_date: dt.date
    sex: str  # "M" or "F"
    converted_from_15: bool = False  # old number converted: flag the record for review


_ZERO_WEIGHT = ord("0") * sum(WEIGHTS)


def check_char(first17: str) -> str:
    """The check character of 17 digits (their bytes are the digits' codes, “0” taken off once)."""
    total = sum(map(operator.mul, first17.encode(), WEIGHTS)) - _ZERO_WEIGHT
    return CHECK_CHARS[total % 11]


def clean(raw: str) -> str:
    """Full-width to half-width, drop every kind of space, upper-case x."""
    text = str(raw)
    if not (text.isascii() and text.isalnum()):  # the usual case needs none of it
        text = "".join(unicodedata.normalize("NFKC", text).split())
    return text.upper()


def _birth(digits8: str, today: dt.date) -> dt.date:
    try:
        born = dt.date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        raise IdNumberError(f"出生日期 {digits8} 不是真实的日期") from None
    if born > today:
        raise IdNumberError(f"出生日期 {born:%Y-%m-%d} 晚于今天")
    if born < EARLIEST_BIRTH:
        raise IdNumberError(f"出生日期 {born:%Y-%m-%d} 早于 {EARLIEST_BIRTH.year} 年")
    return born


def parse(raw: str, *, today: dt.date | None = None) -> IdNumber:
    today = today or dt.date.today()
    value = clean(raw)
    if not value:
        raise IdNumberError("身份证号不能为空")
    if len(value) == 15:
        if not (value.isascii() and value.isdigit()):
            raise IdNumberError("15 位身份证号只能由数字组成")
        first17 = value[:6] + "19" + value[6:]
        born = _birth(first17[6:14], today)
        return IdNumber(first17 + check_char(first17), born, "M" if int(first17[16]) % 2 else "F", True)
    if len(value) != 18:
        raise IdNumberError(f"身份证号应为 18 位，实际 {len(value)} 位")
    first17, last = value[:17], value[17]
    if not (value.isascii() and first17.isdigit()) or not (last.isdigit() or last == "X"):
        raise IdNumberError("身份证号前 17 位须为数字，最后一位为数字或 X")
    born = _birth(first17[6:14], today)
    expected = check_char(first17)
    if last != expected:
        raise IdNumberError(f"身份证号校验位错误（最后一位应为 {expected}），请核对号码")
    return IdNumber(value, born, "M" if int(first17[16]) % 2 else "F")


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
