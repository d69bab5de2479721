"""The training ledger as a list: each person with their latest valid record on a day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from accounts.roles import Cap
from training.models import Trainee, TrainingRecord

VIEW_CAPS = (Cap.MANAGE_TRAINING, Cap.VIEW_ARCHIVE)


def can_view(user: Any) -> bool:
    """Who may read the ledger: those who keep it and everyone who reads the archive."""
    return any(user.can(c) for c in VIEW_CAPS)


def ledger(user: Any, params: dict[str, Any]) -> QuerySet[Trainee]:
    day = params.get("on") or dt.date.today()
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    valid = TrainingRecord.objects.filter(trainee=OuterRef("pk"), passed=True, issued_on__lte=day, valid_until__gte=day)
    if params.get("course_kind"):
        valid = valid.filter(course__kind=params["course_kind"])
    qs = Trainee.objects.restrict(user, "view").annotate(
        is_valid=Exists(valid), valid_until=Max("records__valid_until", filter=Q(records__passed=True))
    )
    if params.get("q"):
        qs = qs.filter(name__contains=params["q"].strip())
    if params.get("kind"):
        qs = qs.filter(kind=params["kind"])
    if params.get("status") == "valid":
        qs = qs.filter(is_valid=True)
    elif params.get("status") == "expired":
        qs = qs.filter(is_valid=False)
    return qs.order_by("region_code", "kind", "name", "id")
