"""Each county's ledger shape (ColumnMapping): read for the next import's proposal and for the export
in the county's own columns, saved when an official confirms a mapping."""

from __future__ import annotations

from accounts.models import User
from audit.services import record
from exchange.ledger import SheetPlan
from exchange.models import ColumnMapping


def county_of(user: User) -> str:
    """The scope a mapping is kept for: the user's county (a town official's too), or the user's own
    region when it is above a county."""
    return (user.region_id or "")[:6]


def saved_for(user: User) -> ColumnMapping | None:
    return ColumnMapping.objects.filter(region_code=county_of(user)).first()


def save_from(user: User, plan: SheetPlan, layout: str = "household") -> ColumnMapping:
    """Keep the confirmed columns of a sheet as the county's mapping (audited with before and after)."""
    columns = [[c.header, c.field or ""] for c in plan.columns if c.header]
    current = saved_for(user)
    before = {"columns": current.columns, "layout": current.layout} if current else None
    mapping, _created = ColumnMapping.objects.update_or_create(
        region_code=county_of(user),
        defaults={"columns": columns, "header_rows": plan.header.height, "layout": layout, "updated_by": user},
    )
    record("import.mapping", actor=user, obj=mapping, region_code=county_of(user), before=before,
           after={"columns": columns, "layout": layout})  # fmt: skip
    return mapping
