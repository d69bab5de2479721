"""Cleaning and checking of archive fields, shared by the forms, the API and the Excel import.

Each cleaner takes what a user typed (or a spreadsheet held) and returns the value to store, or
raises FieldError with a message in Chinese.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from typing import NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from households import idnumber

_SPACE = re.compile(r"\s")
_DIGIT = re.compile(r"\d")
_SEPARATORS = re.compile(r"[、,，;；/\s]+")
_SCIENTIFIC = re.compile(r"\d([.,]\d+)?E\+?\d+", flags=re.IGNORECASE)  # 6.10826E+17


class FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def text(raw: object) -> str:
    """NFKC (full-width to half-width) and trimmed; None and float NaN become empty."""
    if raw is None:
        return ""
    if type(raw) is str and raw.isascii():
        return raw.strip()  # ASCII is NFKC-stable
    if isinstance(raw, float) and raw != raw:
        return ""
    return unicodedata.normalize("NFKC", str(raw)).strip()


def compact(raw: object) -> str:
    value = text(raw)
    return "".join(value.split()) if _SPACE.search(value) else value


def name(raw: object, field: str = "head_name", label: str = "姓名") -> str:
    value = compact(raw)
    if not value:
        raise FieldError(field, _("%(label)s不能为空") % {"label": label})
    if len(value) > 50:
        raise FieldError(field, _("%(label)s过长（最多 50 个字）") % {"label": label})
    if _DIGIT.search(value):
        raise FieldError(field, _("%(label)s“%(value)s”含有数字") % {"label": label, "value": value})
    return value


def id_number(raw: object, field: str = "head_id") -> idnumber.IdNumber:
    """An ID number; one that Excel has turned into a number (16 digits or more: the 16th on are lost)
    or shows in scientific notation is refused with idnumber.excel_lost_digits(), never repaired."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raw = ""
        else:
            digits = f"{int(raw)}"
            if len(digits) >= 16:
                raise FieldError(field, idnumber.excel_lost_digits())
            raw = digits
    value = compact(raw)
    if not value.isdigit() and _SCIENTIFIC.fullmatch(value):
        raise FieldError(field, idnumber.excel_lost_digits())
    try:
        return idnumber.parse(value)
    except idnumber.IdNumberError as exc:
        raise FieldError(field, str(exc)) from None


PHONE_RE = re.compile(r"1\d{10}|0\d{2,3}-?\d{7,8}")


def phone(raw: object) -> str:
    if isinstance(raw, float) and raw == raw:
        raw = int(raw)
    value = compact(raw).replace("－", "-")
    if not value:
        return ""
    digits = value.replace("-", "")
    if len(digits) == 11 and digits.startswith("1") and digits.isdigit():  # 138-1234-5678
        return digits
    if not PHONE_RE.fullmatch(value):
        raise FieldError("phone", _("联系电话“%(value)s”格式不正确（应为 11 位手机号或带区号的固话）") % {"value": value})
    return value


def bank_account(raw: object) -> str:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw == raw:
        digits = f"{int(raw)}"
        if len(digits) >= 16:
            raise FieldError("bank_account", _("银行账号被 Excel 存成了数字，后几位已丢失，请把该列设为“文本”后重新填写"))
        raw = digits
    value = compact(raw).replace("-", "")
    if not value:
        return ""
    if not value.isdigit() or not 10 <= len(value) <= 30:
        raise FieldError("bank_account", _("银行账号“%(value)s”应为 10 到 30 位数字") % {"value": value})
    return value


def _without_unit(value: str, units: tuple[str, ...]) -> str:
    """“3人”, “2层”, “87.5平方米”: the number a spreadsheet cell holds with its unit."""
    for unit in units:
        if value.endswith(unit) and len(value) > len(unit):
            return value[: -len(unit)]
    return value


def integer(
    raw: object, field: str, label: str, low: int, high: int, *, required: bool = False, units: tuple[str, ...] = ()
) -> int | None:
    if type(raw) is int:
        value = str(raw)
    else:
        value = _without_unit(compact(raw), units)
        if not value:
            if required:
                raise FieldError(field, _("%(label)s不能为空") % {"label": label})
            return None
    if value.isdigit() and value.isascii():  # the usual case, without Decimal
        whole = int(value)
        if not low <= whole <= high:
            raise FieldError(
                field,
                _("%(label)s %(value)s 超出范围（%(low)s–%(high)s）")
                % {"label": label, "value": value, "low": low, "high": high},
            )
        return whole
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise FieldError(field, _("%(label)s“%(value)s”不是数字") % {"label": label, "value": value}) from None
    if number != number.to_integral_value():
        raise FieldError(field, _("%(label)s“%(value)s”应为整数") % {"label": label, "value": value})
    if not low <= number <= high:
        raise FieldError(
            field,
            _("%(label)s %(value)s 超出范围（%(low)s–%(high)s）") % {"label": label, "value": value, "low": low, "high": high},
        )
    return int(number)


def decimal(raw: object, field: str, label: str, low: Decimal, high: Decimal, *, units: tuple[str, ...] = ()) -> Decimal | None:
    value = _without_unit(compact(raw), units)
    if not value:
        return None
    try:
        number = Decimal(value).quantize(Decimal("0.01"))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():  # "NaN" quantizes to NaN, which no comparison accepts
        raise FieldError(field, _("%(label)s“%(value)s”不是数字") % {"label": label, "value": value})
    if not low <= number <= high:
        raise FieldError(
            field,
            _("%(label)s %(value)s 超出范围（%(low)s–%(high)s）") % {"label": label, "value": value, "low": low, "high": high},
        )
    return number


AREA_UNITS = ("平方米", "平米", "m2", "M2")  # “㎡” and “m²” read as “m2” after NFKC


def year_built(raw: object) -> int | None:
    """The year a house was built, from whatever date a clerk wrote (2021, 2021.5, 2021年5月, an Excel date)."""
    found = partial_date(raw, "year_built", "建造年份", keep=Precision.YEAR)
    return found.year if found else None


# --- dates as clerks write them -------------------------------------------------------------------


class Precision(IntEnum):
    YEAR = 1
    MONTH = 2
    DAY = 3


class PartialDate(NamedTuple):
    """A year, a month of a year, or a day: as precise as what was written, never more."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> Precision:
        return Precision.DAY if self.day else Precision.MONTH if self.month else Precision.YEAR

    def cut(self, keep: Precision) -> PartialDate:
        return PartialDate(
            self.year, self.month if keep >= Precision.MONTH else None, self.day if keep >= Precision.DAY else None
        )

    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)


EARLIEST_YEAR = 1800
# Excel's date serial: day 1 is 1900-01-01 and it counts a 29 February 1900 that never was, so from
# March 1900 on a serial is the days since 1899-12-30. Only numbers above SERIAL_MIN (1927-05-19)
# are read as serials; a number of four digits is a year.
EXCEL_EPOCH = dt.date(1899, 12, 30)
SERIAL_MIN = 10000

_TIME = re.compile(r"[ T]+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")  # “2021-05-03 00:00:00” as a CSV holds a datetime
_CHINESE_DATE = re.compile(r"(?P<y>\d{4})年(?:(?P<m>\d{1,2})月份?(?:(?P<d>\d{1,2})[日号])?)?")
_SEPARATED_DATE = re.compile(r"(?P<y>\d{4})(?P<sep>[./-])(?P<m>\d{1,2})(?:(?P=sep)(?P<d>\d{1,2}))?")
_SERIAL_TEXT = re.compile(r"\d{5}\.\d+")  # a serial with a time of day (44317.5)


def _shown(raw: object) -> object:
    """A value as a message quotes it: a whole number without “.0”, text as cleaned."""
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 1e12:
        return int(raw)
    return raw if isinstance(raw, (int, float, dt.date)) else text(raw)


def _unreadable(field: str, label: str, value: object) -> FieldError:
    return FieldError(
        field,
        _("%(label)s“%(value)s”不是可识别的日期，可写作 2021、2021年5月、2021.5、2021-05-03、2021/5/3 或 20210503")
        % {"label": label, "value": value},
    )


def _ambiguous(field: str, label: str, year: int) -> FieldError:
    return FieldError(
        field,
        _(
            "%(label)s“%(y)s.1”有歧义：可能是 %(y)s年1月，也可能是 %(y)s.10 被 Excel 当作数字显示成了 %(y)s.1。"
            "请写作“%(y)s年1月”或“%(y)s年10月”（或 %(y)s.01、%(y)s.10 并把该列设为文本）"
        )
        % {"label": label, "y": year},
    )


def _serial(number: int, field: str, label: str, shown: object) -> PartialDate:
    try:
        day = EXCEL_EPOCH + dt.timedelta(days=number)
    except OverflowError:
        raise _unreadable(field, label, shown) from None
    return PartialDate(day.year, day.month, day.day)


def _digits(value: str, field: str, label: str, shown: object) -> PartialDate:
    """Digits alone, by their count: 2021 a year, 44317 an Excel serial, 202105 a month, 20210503 a day."""
    n = len(value)
    if n == 4:
        return PartialDate(int(value))
    if n == 5 and int(value) > SERIAL_MIN:
        return _serial(int(value), field, label, shown)
    if n == 6:
        return PartialDate(int(value[:4]), int(value[4:]))
    if n == 8:
        return PartialDate(int(value[:4]), int(value[4:6]), int(value[6:]))
    raise _unreadable(field, label, shown)


def _from_float(raw: float, field: str, label: str) -> tuple[PartialDate, bool]:
    """A number cell: whole, a serial with a time of day, or year.month as Excel shows it (2021.5).
    The second value says the month is ambiguous: 2021.1 is also how Excel shows 2021.10."""
    if raw.is_integer():
        return _digits(str(int(raw)), field, label, _shown(raw)), False
    if raw > SERIAL_MIN and raw < 10 * SERIAL_MIN:
        return _serial(int(raw), field, label, raw), False
    shown = repr(raw)
    found = re.fullmatch(r"(\d{4})\.(\d{1,2})", shown)
    if not found:
        raise _unreadable(field, label, shown)
    return PartialDate(int(found[1]), int(found[2])), found[2] == "1"


def _from_text(value: str, field: str, label: str) -> tuple[PartialDate, bool]:
    value = _TIME.sub("", value) if ":" in value else value
    value = "".join(value.split())
    if value.isdigit() and value.isascii():
        return _digits(value, field, label, value), False
    if _SERIAL_TEXT.fullmatch(value):
        return _serial(int(value.split(".")[0]), field, label, value), False
    found = _CHINESE_DATE.fullmatch(value) or _SEPARATED_DATE.fullmatch(value)
    if not found:
        raise _unreadable(field, label, value)
    year, month, day = found["y"], found["m"], found["d"]
    separator = found.groupdict().get("sep")
    if separator == "." and day is None and not month.strip("0"):
        return PartialDate(int(year)), False  # “2021.0”: the number 2021 written out by a program
    ambiguous = separator == "." and day is None and month == "1"
    return PartialDate(int(year), int(month) if month else None, int(day) if day else None), ambiguous


def _read_date(raw: object, field: str, label: str) -> tuple[PartialDate, bool] | None:
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        return PartialDate(raw.year, raw.month, raw.day), False
    if isinstance(raw, bool):
        raise _unreadable(field, label, raw)
    if isinstance(raw, int):
        if raw < 0:
            raise _unreadable(field, label, raw)
        return _digits(str(raw), field, label, raw), False
    if isinstance(raw, float):
        if raw != raw:
            return None
        if not math.isfinite(raw) or raw < 0 or raw >= 1e12:
            raise _unreadable(field, label, raw)
        return _from_float(raw, field, label)
    if isinstance(raw, (dt.time, dt.timedelta)):
        raise _unreadable(field, label, raw)
    value = text(raw)
    return _from_text(value, field, label) if value else None


def _check_date(found: PartialDate, field: str, label: str, shown: object, earliest: int, today: dt.date) -> None:
    year, month, day = found
    if (month is not None and not 1 <= month <= 12) or (day is not None and not _real_day(year, month or 1, day)):
        raise FieldError(field, _("%(label)s“%(value)s”不是真实的日期") % {"label": label, "value": shown})
    if year < earliest:
        raise FieldError(field, _("%(label)s“%(value)s”早于 %(y)s 年") % {"label": label, "value": shown, "y": earliest})
    if day is not None and found.first_day() > today:
        raise FieldError(field, _("%(label)s“%(value)s”晚于今天") % {"label": label, "value": shown})
    if month is not None and (year, month) > (today.year, today.month):
        raise FieldError(field, _("%(label)s“%(value)s”晚于本月") % {"label": label, "value": shown})
    if year > today.year:
        raise FieldError(field, _("%(label)s“%(value)s”晚于今年") % {"label": label, "value": shown})


def _real_day(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


NEED_MESSAGES = {
    Precision.MONTH: _lazy("%(label)s“%(value)s”只写了年份，请写到月（如 2021年5月）"),
    Precision.DAY: _lazy("%(label)s“%(value)s”没有写到日，请写完整日期（如 2021-05-03）"),
}


def partial_date(
    raw: object,
    field: str = "date",
    label: str = "日期",
    *,
    keep: Precision = Precision.DAY,
    need: Precision = Precision.YEAR,
    required: bool = False,
    earliest: int = EARLIEST_YEAR,
    today: dt.date | None = None,
) -> PartialDate | None:
    """A date as clerks write it: 2021, 2021年, 2021.5, 2021.05, 2021年5月, 2021-05, 202105, 2021年5月3日,
    2021/5/3, 2021-05-03, 20210503, an Excel serial (a number above 10000) or the date object a
    spreadsheet reader gives. Returned as precise as written, cut to `keep` (what the caller stores);
    refused when less precise than `need`, impossible, before `earliest`, or in the future. A month
    written “.1” (2021.1) is refused when a month is kept: it may be January or October."""
    found = _read_date(raw, field, label)
    if found is None:
        if required:
            raise FieldError(field, _("%(label)s不能为空") % {"label": label})
        return None
    value, ambiguous = found
    shown = _shown(raw)
    _check_date(value, field, label, shown, earliest, today or dt.date.today())
    if value.precision < need:
        raise FieldError(field, NEED_MESSAGES[need] % {"label": label, "value": shown})
    if ambiguous and keep >= Precision.MONTH:
        raise _ambiguous(field, label, value.year)
    return value.cut(keep)


def full_date(raw: object, field: str, label: str, *, required: bool = False, today: dt.date | None = None) -> dt.date | None:
    """A day, written in any of the ways `partial_date` reads (a date column of a ledger)."""
    found = partial_date(raw, field, label, need=Precision.DAY, required=required, today=today)
    return found.first_day() if found else None


def family_size(raw: object) -> int:
    return integer(raw, "family_size", "家庭人口", 1, 30, required=True, units=("人", "口")) or 1


def boolean(raw: object, field: str, label: str, default: bool) -> bool:
    value = compact(raw)
    if not value:
        return default
    if value in {"是", "Y", "y", "1", "true", "True", "√", "有"}:
        return True
    if value in {"否", "N", "n", "0", "false", "False", "×", "无"}:
        return False
    raise FieldError(field, _("%(label)s应填“是”或“否”，而不是“%(value)s”") % {"label": label, "value": value})


def choice(raw: object, field: str, label: str, by_name: dict[str, str], *, required: bool = False) -> str:
    """A code-table value given by its Chinese name or its code."""
    value = compact(raw)
    if not value:
        if required:
            raise FieldError(field, _("%(label)s不能为空") % {"label": label})
        return ""
    if value in by_name:
        return by_name[value]
    if value in by_name.values():
        return value
    near = closest(value, list(by_name))
    if near:  # “低保户” for 农村低保户: name the few it may mean rather than the whole table
        raise FieldError(
            field,
            _("%(label)s“%(value)s”不在代码表中，是否指：%(near)s？") % {"label": label, "value": value, "near": "、".join(near)},
        )
    raise FieldError(
        field,
        _("%(label)s“%(value)s”不在代码表中（可选：%(names)s）")
        % {"label": label, "value": value, "names": "、".join(list(by_name)[:12])},
    )


def closest(value: str, names: list[str], limit: int = 3) -> list[str]:
    """The names a value may stand for: those containing it (“低保户” in 农村低保户) or contained in it
    (砖混 in “砖混结构”). Merely similar names are not offered: “五保户” looks like 农村低保户 but means
    a destitute person supported by the state."""
    return [n for n in names if value in n or n in value][:limit]


def choices(raw: object, field: str, label: str, by_name: dict[str, str]) -> list[str]:
    value = text(raw)
    if not _SEPARATORS.search(value):  # one value, the usual case
        return [choice(value, field, label, by_name)] if value else []
    parts = [p for p in _SEPARATORS.split(value) if p]
    return list(dict.fromkeys(choice(p, field, label, by_name) for p in parts))
