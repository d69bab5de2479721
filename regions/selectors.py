from __future__ import annotations

from django.core.cache import cache

from regions.models import Level, Region

MAX_OPTIONS = 3000


def options(prefix: str, levels: tuple[Level, ...]) -> list[tuple[str, str]] | None:
    """(code, label) for active regions of the given levels under `prefix`, villages labelled with their
    town; None when there are more than a drop-down can sensibly hold (the form asks for a code).
    Cached for ten minutes: the region list changes once a year."""
    key = f"region-options:{prefix}:{'-'.join(str(int(level)) for level in levels)}"
    found = cache.get(key, "miss")
    if found == "miss":
        found = _options(prefix, levels)
        cache.set(key, found, 600)
    return found


def _options(prefix: str, levels: tuple[Level, ...]) -> list[tuple[str, str]] | None:
    regions = Region.objects.under(prefix).filter(level__in=levels, is_active=True).order_by("code")
    if regions.count() > MAX_OPTIONS:
        return None
    towns = dict(Region.objects.under(prefix).filter(level=Level.TOWN).values_list("code", "name"))
    return [
        (r.code, f"{towns.get(r.code[:9], '')} · {r.name}" if r.level == Level.VILLAGE else r.name)
        for r in regions.only("code", "name", "level")
    ]


_NAMES: dict[str, str] = {}


def name_of(code: str) -> str:
    """A region's name from an in-process table (region names change once a year, with a new edition)."""
    if code not in _NAMES:
        if not _NAMES:
            _NAMES.update(Region.objects.values_list("code", "name"))
        if code not in _NAMES:
            _NAMES[code] = Region.objects.filter(code=code).values_list("name", flat=True).first() or ""
    return _NAMES[code]


def short_code(code: str) -> str:
    """A zero-padded 12-digit code back to its region's own code: 610826000000 → 610826."""
    for length in (2, 4, 6, 9):
        if set(code[length:]) <= {"0"}:
            return code[:length]
    return code
