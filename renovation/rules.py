"""The configurable rules of renovation (domain 7.1–7.2), read from settings with the domain's defaults."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Notice lengths in days (domain 7.1: village and town at least 7, county at least 5).
    "notice_days": {"village": 7, "town": 7, "county": 5},
    # New builds: 1–3 persons at least 20/30/40 m² and at most 60; more than 3 at most 18 m² per person.
    "area_min": {1: 20, 2: 30, 3: 40},
    "area_max_small": 60,
    "area_per_person_max": 18,
    # The least number of days between construction stages (start → structure done → completed).
    "stage_min_days": 7,
}


def rule(name: str) -> Any:
    return getattr(settings, "ANJU_RENOVATION_RULES", {}).get(name, DEFAULTS[name])


def notice_days(level: str) -> int:
    return int(rule("notice_days")[level])


def check_area(family_size: int, area: Decimal) -> str | None:
    """None when a new build's area fits the family, else why not."""
    size = max(1, family_size)
    if size <= 3:
        low, high = Decimal(rule("area_min")[size]), Decimal(rule("area_max_small"))
    else:
        low, high = Decimal(rule("area_min")[3]), Decimal(rule("area_per_person_max")) * size
    if not low <= area <= high:
        return f"{size} 人户新建住房面积应在 {low:g}–{high:g} ㎡ 之间（填写为 {area:g} ㎡）"
    return None
