"""Reads of the archive that are more than a filter. Each takes the user and stays in their scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.db.models import Case, Count, IntegerField, When

from accounts.models import User
from codetables.models import Table
from codetables.selectors import items, names
from households.models import House, Household, HouseholdCategory

AGE_BUCKETS = [
    ("before_1980", "1980年以前", None, 1979),
    ("1980s", "1980–1989年", 1980, 1989),
    ("1990s", "1990–1999年", 1990, 1999),
    ("2000s", "2000–2009年", 2000, 2009),
    ("since_2010", "2010年以后", 2010, None),
]
DASHBOARD_TTL = 60


def dashboard(user: User) -> dict[str, Any]:
    key = f"dashboard:{user.region_id}"
    found = cache.get(key)
    if found is None:
        found = _dashboard(user)
        cache.set(key, found, DASHBOARD_TTL)
    return found


def _count_if(**conditions: Any) -> Count:
    return Count(Case(When(then=1, **conditions), output_field=IntegerField()))


def _dashboard(user: User) -> dict[str, Any]:
    """Figures of the home page; each one equals the count of the household list it links to."""
    households = Household.objects.restrict(user, "view")
    old_year = dt.date.today().year - 30
    buckets = {}
    for code, _label, low, high in AGE_BUCKETS:
        conditions = {}
        if low is not None:
            conditions["dwelling_year_built__gte"] = low
        if high is not None:
            conditions["dwelling_year_built__lte"] = high
        buckets[code] = _count_if(**conditions)
    totals = households.aggregate(
        total=Count("id"), key=_count_if(is_key_group=True), old=_count_if(dwelling_year_built__lt=old_year), **buckets
    )
    cat_counts = dict(
        HouseholdCategory.objects.restrict(user, "view").filter(end_date__isnull=True).values_list("code").annotate(n=Count("id"))
    )
    categories = [
        {"code": i.code, "name": i.name, "group": i.group, "count": cat_counts.get(i.code, 0)}
        for i in items(Table.HOUSEHOLD_CATEGORY)
    ]
    struct_names = names(Table.STRUCTURE_TYPE)
    structures = [
        {"code": code, "name": struct_names.get(code, code), "count": n}
        for code, n in households.exclude(dwelling_structure="")
        .values_list("dwelling_structure")
        .annotate(n=Count("id"))
        .order_by("-n")
    ]
    ages = [
        {"code": code, "name": label, "from": low or "", "to": high or "", "count": totals[code]}
        for code, label, low, high in AGE_BUCKETS
    ]
    return {
        "households": totals["total"],
        "key_groups": totals["key"],
        "houses": House.objects.restrict(user, "view").count(),
        "old_houses": totals["old"],
        "old_year": old_year,
        "categories": categories,
        "structures": structures,
        "ages": ages,
    }
