"""Third-party sampling (第三方抽查, domain 6.3): draw, hand over, re-appraise, compare.

The draw is reproducible: within each stratum (county or town) the candidates are the houses whose
latest original appraisal falls in the plan's period, ordered by house id, and a generator seeded
with "<seed>-<stratum>" picks them, so the same seed over the same appraisals gives the same
sample, and one town's new appraisals do not change another town's draw.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import require
from accounts.roles import Cap, Role
from audit.services import record
from core.scoping import prefix_filter
from inspections.models import (
    STRATUM_LENGTH,
    Appraisal,
    AppraisalKind,
    SampleItem,
    SampleStatus,
    SamplingPlan,
)
from inspections.services import AppraisalInput, record_appraisal
from regions.selectors import name_of


@dataclass
class PlanInput:
    name: str
    scope: str
    stratum_level: str
    seed: int
    appraised_from: dt.date
    appraised_to: dt.date
    firm: str
    sampler_ids: list[int]
    ratio: Decimal | None = None  # percent
    size: int | None = None  # per stratum


def candidates(scope: str, start: dt.date, end: dt.date) -> dict[int, tuple[int, str]]:
    """house id -> (its latest original appraisal id, region code), for appraisals in the period."""
    rows = (
        Appraisal.objects.filter(prefix_filter(scope), kind=AppraisalKind.ORIGINAL, appraised_on__range=(start, end))
        .order_by("house_id", "appraised_on", "id")
        .values_list("house_id", "id", "region_code")
    )
    return {house: (appraisal, region) for house, appraisal, region in rows}


def draw(
    pool: dict[int, tuple[int, str]], stratum_length: int, seed: int, ratio: Decimal | None, size: int | None
) -> dict[str, list[int]]:
    """stratum code -> sampled house ids (sorted), by the seeded generator of each stratum."""
    strata: dict[str, list[int]] = defaultdict(list)
    for house in sorted(pool):
        strata[pool[house][1][:stratum_length]].append(house)
    picked = {}
    for stratum, houses in sorted(strata.items()):
        k = size if size is not None else math.ceil(len(houses) * (ratio or 0) / 100)
        rng = random.Random(f"{seed}-{stratum}")
        picked[stratum] = sorted(rng.sample(houses, min(k, len(houses))))
    return picked


def _check(data: PlanInput) -> dict[str, str]:
    errors = {}
    if not data.name.strip():
        errors["name"] = _("请填写抽查名称。")
    if (data.ratio is None) == (data.size is None):
        errors["ratio"] = _("抽样比例和每层抽取户数须填写且只填写其中一项。")
    elif data.ratio is not None and not (0 < data.ratio <= 100):
        errors["ratio"] = _("抽样比例应在 0 到 100 之间。")
    elif data.size is not None and data.size < 1:
        errors["size"] = _("每层抽取户数至少为 1。")
    if data.appraised_to < data.appraised_from:
        errors["appraised_to"] = _("结束日期不能早于开始日期。")
    if data.stratum_level not in STRATUM_LENGTH:
        errors["stratum_level"] = _("请选择分层方式。")
    elif len(data.scope) > STRATUM_LENGTH[data.stratum_level]:  # type: ignore[index]
        errors["stratum_level"] = _("抽查范围是乡镇时只能按乡镇分层。")
    if not data.firm.strip():
        errors["firm"] = _("请填写抽查机构。")
    return errors


def create_plan(*, actor: User | None, data: PlanInput) -> SamplingPlan:
    require(actor, Cap.MANAGE_CAMPAIGNS, data.scope.ljust(12, "0"))
    errors = _check(data)
    samplers = list(User.objects.filter(pk__in=data.sampler_ids, is_active=True))
    if not samplers or any(not u.has_role(Role.SAMPLER) or not u.covers(data.scope.ljust(12, "0")) for u in samplers):
        errors["samplers"] = _("请选择抽查机构的账号（须为“第三方抽查机构”角色且管辖该范围）。")
    if errors:
        raise ValidationError(errors)
    pool = candidates(data.scope, data.appraised_from, data.appraised_to)
    if not pool:
        raise ValidationError({"appraised_from": _("该范围和期间内没有已鉴定的房屋，无法抽样。")})
    picked = draw(pool, STRATUM_LENGTH[data.stratum_level], data.seed, data.ratio, data.size)  # type: ignore[index]
    households = dict(Appraisal.objects.filter(pk__in=[a for a, _r in pool.values()]).values_list("id", "household_id"))
    with transaction.atomic():
        plan = SamplingPlan.objects.create(
            name=data.name.strip(),
            scope=data.scope,
            region_code=data.scope.ljust(12, "0"),
            stratum_level=data.stratum_level,
            ratio=data.ratio,
            size=data.size,
            seed=data.seed,
            appraised_from=data.appraised_from,
            appraised_to=data.appraised_to,
            firm=data.firm.strip(),
            population=len(pool),
            created_by=actor,
        )
        plan.samplers.set(samplers)
        items = [
            SampleItem(
                plan=plan,
                stratum=stratum,
                original_id=pool[house][0],
                house_id=house,
                household_id=households[pool[house][0]],
                region_code=pool[house][1],
            )
            for stratum, houses in picked.items()
            for house in houses
        ]
        SampleItem.objects.bulk_create(items, batch_size=1000)
        plan.item_count = len(items)
        plan.save(update_fields=["item_count"])
        record(
            "inspection.sample_draw",
            actor=actor,
            obj=plan,
            region_code=plan.region_code,
            after={
                "name": plan.name,
                "scope": plan.scope,
                "stratum_level": plan.stratum_level,
                "seed": plan.seed,
                "ratio": plan.ratio,
                "size": plan.size,
                "population": plan.population,
                "items": plan.item_count,
                "samplers": [u.username for u in samplers],
            },
        )
    return plan


def plans_for(user: User) -> QuerySet[SamplingPlan]:
    """Plans over the user's region (the county that drew them, levels above) or handed to the user."""
    if user.has_role(Role.SAMPLER) and not user.can(Cap.VIEW_ARCHIVE):
        return SamplingPlan.objects.filter(samplers=user)
    region = user.region_id or ""
    return SamplingPlan.objects.filter(prefix_filter(region) | Q(samplers=user)).distinct()


def items_for(user: User, plan: SamplingPlan) -> QuerySet[SampleItem]:
    items = SampleItem.objects.filter(plan=plan)
    if plan.samplers.filter(pk=user.pk).exists():
        return items
    return items.filter(prefix_filter(user.region_id or "-"))


def resample(*, actor: User, item: SampleItem, data: AppraisalInput) -> Appraisal:
    """The firm's re-appraisal of a sampled house, on the same form; compared with the original at once."""
    if not item.plan.samplers.filter(pk=actor.pk).exists():
        raise PermissionDenied(_("该抽查样本没有分配给您。"))
    if item.status == SampleStatus.DONE and item.review is not None:
        return item.review
    data.kind, data.house_id = AppraisalKind.SAMPLING, item.house_id
    with transaction.atomic():
        locked = SampleItem.objects.select_for_update().get(pk=item.pk)
        if locked.status == SampleStatus.DONE and locked.review is not None:
            return locked.review
        review, _created = record_appraisal(actor=actor, data=data)
        locked.review, locked.status = review, SampleStatus.DONE
        locked.agrees = review.grade == locked.original.grade
        locked.save(update_fields=["review", "status", "agrees"])
        record(
            "inspection.sample_review",
            actor=actor,
            obj=locked,
            region_code=locked.region_code,
            object_label=f"{locked.plan.name}",
            after={"original": locked.original.grade, "review": review.grade, "agrees": locked.agrees},
        )
    return review


@dataclass
class StratumRow:
    code: str
    name: str
    items: int
    done: int
    disagree: int


def strata(items: QuerySet[SampleItem]) -> list[StratumRow]:
    rows = (
        items.values("stratum")
        .annotate(
            n=Count("id"), done=Count("id", filter=Q(status=SampleStatus.DONE)), disagree=Count("id", filter=Q(agrees=False))
        )
        .order_by("stratum")
    )
    return [StratumRow(r["stratum"], name_of(r["stratum"]), r["n"], r["done"], r["disagree"]) for r in rows]


def disagreements(items: QuerySet[SampleItem]) -> QuerySet[SampleItem]:
    return (
        items.filter(agrees=False)
        .select_related("household", "house", "original", "review")
        .order_by("stratum", "region_code", "id")
    )


def findings(appraisal: Appraisal) -> str:
    """Component findings in one line, e.g. "地基基础 a；承重墙体 c；木屋架 无此构件；场地危险"."""
    from inspections.grading import BY_KEY, answer_label

    parts = [f"{BY_KEY[k].label} {answer_label(g)}" for k, g in appraisal.components.items() if k in BY_KEY]
    if appraisal.site_dangerous:
        parts.append("场地危险")
    return "；".join(parts)


DISAGREEMENT_HEADER = ["分层", "村", "户主", "房屋", "原鉴定等级", "原鉴定日期", "原鉴定构件", "复核等级", "复核日期", "复核构件"]


def disagreement_rows(items: QuerySet[SampleItem]) -> list[list[Any]]:
    from core.masking import mask_name

    rows = []
    for item in disagreements(items):
        original, review = item.original, item.review
        assert review is not None
        rows.append(
            [
                name_of(item.stratum),
                name_of(item.region_code),
                mask_name(item.household.head_name),
                str(item.house),
                original.grade,
                original.appraised_on,
                findings(original),
                review.grade,
                review.appraised_on,
                findings(review),
            ]
        )
    return rows
