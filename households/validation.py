"""Cleaning and checking of archive fields, shared by the forms, the API and the Excel import.

Each cleaner takes what a user typed (or a spreadsheet held) and returns the value to store, or
raises FieldError with a message in Chinese.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from households import idnumber

_SPACE = re.compile(r"\s")
_DIGIT = re.compile(r"\d")
_SEPARATORS = re.compile(r"[、,，;；/\s]+")
_SCIENTIFIC = re.compile(r"\d(\.\d+)?E\+?\d+", flags=re.IGNORECASE)  # 6.10826E+17


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
        raise FieldError(field, f"{label}不能为空")
    if len(value) > 50:
        raise FieldError(field, f"{label}过长（最多 50 个字）")
    if _DIGIT.search(value):
        raise FieldError(field, f"{label}“{value}”含有数字")
    return value


def id_number(raw: object, field: str = "head_id") -> idnumber.IdNumber:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        digits = f"{int(raw)}" if raw == raw else ""
        if len(digits) >= 16:
            raise FieldError(
                field,
                f"身份证号被 Excel 存成了数字（{digits}），第 16 位以后已丢失，请把该列设为“文本”后重新填写",
            )
        raw = digits
    value = compact(raw)
    if not value.isdigit() and _SCIENTIFIC.fullmatch(value):
        raise FieldError(field, f"身份证号被 Excel 显示为科学计数法（{value}），后几位已丢失，请把该列设为“文本”后重新填写")
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
        raise FieldError("phone", f"联系电话“{value}”格式不正确（应为 11 位手机号或带区号的固话）")
    return value


def bank_account(raw: object) -> str:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw == raw:
        digits = f"{int(raw)}"
        if len(digits) >= 16:
            raise FieldError("bank_account", "银行账号被 Excel 存成了数字，后几位已丢失，请把该列设为“文本”后重新填写")
        raw = digits
    value = compact(raw).replace("-", "")
    if not value:
        return ""
    if not value.isdigit() or not 10 <= len(value) <= 30:
        raise FieldError("bank_account", f"银行账号“{value}”应为 10 到 30 位数字")
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
                raise FieldError(field, f"{label}不能为空")
            return None
    if value.isdigit() and value.isascii():  # the usual case, without Decimal
        whole = int(value)
        if not low <= whole <= high:
            raise FieldError(field, f"{label} {value} 超出范围（{low}–{high}）")
        return whole
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise FieldError(field, f"{label}“{value}”不是数字") from None
    if number != number.to_integral_value():
        raise FieldError(field, f"{label}“{value}”应为整数")
    if not low <= number <= high:
        raise FieldError(field, f"{label} {value} 超出范围（{low}–{high}）")
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
        raise FieldError(field, f"{label}“{value}”不是数字")
    if not low <= number <= high:
        raise FieldError(field, f"{label} {value} 超出范围（{low}–{high}）")
    return number


AREA_UNITS = ("平方米", "平米", "m2", "M2")  # “㎡” and “m²” read as “m2” after NFKC


def year_built(raw: object) -> int | None:
    if isinstance(raw, dt.date):  # a date typed into the column (建房时间): its year
        raw = raw.year
    return integer(raw, "year_built", "建造年份", 1800, dt.date.today().year, units=("年",))


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
    raise FieldError(field, f"{label}应填“是”或“否”，而不是“{value}”")


def choice(raw: object, field: str, label: str, by_name: dict[str, str], *, required: bool = False) -> str:
    """A code-table value given by its Chinese name or its code."""
    value = compact(raw)
    if not value:
        if required:
            raise FieldError(field, f"{label}不能为空")
        return ""
    if value in by_name:
        return by_name[value]
    if value in by_name.values():
        return value
    near = closest(value, list(by_name))
    if near:  # “低保户” for 农村低保户: name the few it may mean rather than the whole table
        raise FieldError(field, f"{label}“{value}”不在代码表中，是否指：{'、'.join(near)}？")
    raise FieldError(field, f"{label}“{value}”不在代码表中（可选：{'、'.join(list(by_name)[:12])}）")


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
