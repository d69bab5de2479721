from __future__ import annotations

from django.core.cache import cache
from django.db.models import Q

from codetables.models import COUNTY_CODE_LENGTH, CodeAlias, CodeItem, Table

CACHE_KEY = "codetables:v1:{}"


def items(table: Table | str, *, active_only: bool = True) -> list[CodeItem]:
    qs = CodeItem.objects.filter(table=table)
    if active_only:
        qs = qs.filter(is_active=True)
    return list(qs)


def choices(table: Table | str) -> list[tuple[str, str]]:
    return [(i.code, i.name) for i in items(table)]


def names(table: Table | str) -> dict[str, str]:
    """code -> name for every entry (inactive ones too: old records still need their label)."""
    key = CACHE_KEY.format(table)
    found = cache.get(key)
    if found is None:
        found = dict(CodeItem.objects.filter(table=table).values_list("code", "name"))
        cache.set(key, found, 60)
    return found


def region_chain(region_code: str) -> list[str]:
    """The alias scopes that hold in a region: everywhere (""), and its county once it is one."""
    county = region_code[:COUNTY_CODE_LENGTH] if len(region_code) >= COUNTY_CODE_LENGTH else None
    return ["", county] if county else [""]


def aliases(table: Table | str, region_code: str = "") -> dict[str, str]:
    """alias -> code of the active aliases that hold in the region, whose entry is active."""
    active = {i.code for i in items(table)}
    found = CodeAlias.objects.filter(Q(region_code__in=region_chain(region_code)), table=table, is_active=True)
    return {a: code for a, code in found.values_list("alias", "code") if code in active}


def codes_by_name(table: Table | str, region_code: str = "") -> dict[str, str]:
    """name -> code of active entries, and the aliases that hold in `region_code` (the importing
    user's region: a county's own aliases apply to its county and the towns and villages in it),
    for reading spreadsheets that hold the Chinese label. An entry's own name wins over an alias."""
    found = {i.name: i.code for i in items(table)}  # names first: they are what a refusal lists
    for alias, code in aliases(table, region_code).items():
        found.setdefault(alias, code)
    return found


def invalidate(table: Table | str) -> None:
    cache.delete(CACHE_KEY.format(table))


def hotline_for(region_code: str) -> str:
    """The hotline for a region: the entry with the longest code that is a prefix of it (12345 if none)."""
    best = max((i for i in items(Table.HOTLINE) if region_code.startswith(i.code)), key=lambda i: len(i.code), default=None)
    return best.name if best else "12345"
