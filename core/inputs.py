"""Input of the wrong shape refused with a Chinese message, never a server error (ADR 0023).

Two kinds of helper:

* DRF fields for request bodies and query strings: `IdField` (a positive integer the database can
  store), `IdListField`, and `query` which checks a query string against a serializer.
* Plain functions for payloads that are read by hand (the field app's records, whose `data` is
  free-form): `mapping`, `items`, `integer`, `number`. Each raises Django's ValidationError keyed by
  the field, which the services' callers already answer as a refusal.
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.request import Request

ID_MAX = 2**63 - 1  # a BIGINT; larger numbers cannot name a row and would overflow the database driver
LIST_MAX = 5000  # ids in one request body


class IdField(serializers.IntegerField):
    """A row id: an integer from 1 to 2**63-1 (strings of digits are accepted, as DRF does)."""

    default_error_messages = {
        "invalid": gettext_lazy("应为记录编号（正整数）。"),
        "min_value": gettext_lazy("应为记录编号（正整数）。"),
        "max_value": gettext_lazy("记录编号过大。"),
        "max_string_length": gettext_lazy("记录编号过长。"),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool):  # True is an int to Python, not an id to a person
            self.fail("invalid")
        return int(super().to_internal_value(data))


class IdListField(serializers.ListField):
    child = IdField()

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", LIST_MAX)
        super().__init__(**kwargs)


def query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The request's query parameters checked by `serializer_class` (unknown ones are ignored);
    400 with the field's message when one is malformed."""
    given = {k: request.query_params.get(k) for k in request.query_params}
    ser = serializer_class(data={k: v for k, v in given.items() if v != ""})  # `?x=` means no filter
    ser.is_valid(raise_exception=True)
    return {k: v for k, v in ser.validated_data.items() if v not in (None, "")}


def id_or_none(value: str | None) -> int | None:
    """A query string's id, or None when it is not one (for filters that ignore what they cannot use)."""
    if value and value.isascii() and value.isdigit() and 0 < int(value) <= ID_MAX:
        return int(value)
    return None


def no_nul(value: Any, field: str) -> Any:
    """The payload unchanged, or a refusal if a string anywhere in it holds a NUL character, which
    PostgreSQL cannot store in text or jsonb (SQLite can: the same payload must fail the same way)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise _refuse(field, _("内容中不能含有空字符（\\u0000）。"))
    elif isinstance(value, dict):
        for k, v in value.items():
            no_nul(k, field)
            no_nul(v, field)
    elif isinstance(value, list | tuple):
        for v in value:
            no_nul(v, field)
    return value


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


def mapping(value: Any, field: str) -> dict[str, Any]:
    """An object (JSON `{}`), or empty when absent."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise _refuse(field, _("格式不正确：应为对象（键值对）。"))
    return value


def items(value: Any, field: str) -> list[Any]:
    """A list (JSON `[]`), or empty when absent."""
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        raise _refuse(field, _("格式不正确：应为列表。"))
    return list(value)


def integer(value: Any, field: str, *, low: int = -ID_MAX, high: int = ID_MAX) -> int | None:
    """An integer given as a number or a string of ASCII digits; None when absent."""
    if value in (None, ""):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isascii() and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise _refuse(field, _("格式不正确：应为整数。"))
    if not low <= value <= high:
        raise _refuse(field, _("数值超出范围（%(low)d～%(high)d）。") % {"low": low, "high": high})
    return value


def number(value: Any, field: str) -> float | None:
    """A finite number given as a number or a numeric string; None when absent."""
    if value in (None, ""):
        return None
    try:
        result = float(value) if isinstance(value, int | float | str) and not isinstance(value, bool) else math.nan
    except ValueError:
        result = math.nan
    if not math.isfinite(result):
        raise _refuse(field, _("格式不正确：应为数字。"))
    return result
