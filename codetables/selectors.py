from __future__ import annotations

from django.core.cache import cache

from codetables.models import CodeItem, Table

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


def codes_by_name(table: Table | str) -> dict[str, str]:
    """name -> code of active entries, for reading spreadsheets that hold the Chinese label."""
    return {i.name: i.code for i in items(table)}


def invalidate(table: Table | str) -> None:
    cache.delete(CACHE_KEY.format(table))


def hotline_for(region_code: str) -> str:
    """The hotline for a region: the entry with the longest code that is a prefix of it (12345 if none)."""
    best = max((i for i in items(Table.HOTLINE) if region_code.startswith(i.code)), key=lambda i: len(i.code), default=None)
    return best.name if best else "12345"
