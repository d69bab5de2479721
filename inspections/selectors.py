"""Reads of inspections and appraisals that are more than a filter: campaigns a user sees, progress
by town and village, the weekly statistics table, the grade in force on a day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.scoping import code_range, prefix_filter
from households.models import House, Household
from inspections.models import Appraisal, AppraisalKind, Campaign, Inspection, InspectionTask, Verdict
from regions.selectors import name_of

LEVEL_LENGTHS = (2, 4, 6, 9, 12)


def grade_on(house: House, day: dt.date) -> Appraisal | None:
    """The appraisal in force on a day: the latest original appraisal made on or before it."""
    return (
        Appraisal.objects.filter(house=house, kind=AppraisalKind.ORIGINAL, appraised_on__lte=day)
        .order_by("-appraised_on", "-id")
        .first()
    )


def campaigns_for(user: Any) -> QuerySet[Campaign]:
    """Campaigns over the user's region or inside it (a town sees its county's campaign)."""
    region = user.region_id or ""
    if not region:
        return Campaign.objects.none()
    ancestors = [region[:n] for n in LEVEL_LENGTHS if n < len(region)]
    return Campaign.objects.filter(prefix_filter(region) | Q(scope__in=ancestors))


def child_length(prefix: str) -> int:
    return next((n for n in LEVEL_LENGTHS if n > len(prefix)), 12)


def view_prefix(user: Any, campaign: Campaign, requested: str) -> str:
    """The deepest of: the campaign's scope, the user's region, the unit the user drilled into."""
    base = max(campaign.scope, user.region_id or "", key=len)
    if requested and requested.startswith(base) and len(requested) in LEVEL_LENGTHS:
        return requested
    return base


@dataclass
class ProgressRow:
    code: str
    name: str
    total: int = 0
    done: int = 0
    overdue: int = 0

    @property
    def left(self) -> int:
        return self.total - self.done

    @property
    def percent(self) -> float:
        return round(100 * self.done / self.total, 1) if self.total else 0.0


def progress(campaign: Campaign, prefix: str, today: dt.date) -> tuple[list[ProgressRow], ProgressRow]:
    """Households of the campaign inspected, left and overdue per unit one level below `prefix`, and the
    total: `household_counts` (the rule the weekly table counts by) from the campaign's start to today."""
    late = today > campaign.deadline
    counts = household_counts(prefix, campaign.start_date, max(today, campaign.start_date), campaign=campaign)
    result = [ProgressRow(unit, name_of(unit), c["households"], c["inspected"]) for unit, c in sorted(counts.items())]
    for row in result:
        row.overdue = row.left if late else 0
    total = ProgressRow(prefix, "合计", sum(r.total for r in result), sum(r.done for r in result))
    total.overdue = total.left if late else 0
    return result, total


# --- the weekly inspection statistics table (domain section 10) -------------------------------

WEEKLY_COLUMNS = (
    "households", "key_households", "inspected", "inspected_key", "this_week",
    "safe", "suspect", "appraised", "A", "B", "C", "D",
)  # fmt: skip


@dataclass
class WeeklyRow:
    code: str
    name: str
    values: dict[str, int] = field(default_factory=lambda: dict.fromkeys(WEEKLY_COLUMNS, 0))

    @property
    def percent(self) -> float:
        h = self.values["households"]
        return round(100 * self.values["inspected"] / h, 1) if h else 0.0


@dataclass
class WeeklyTable:
    prefix: str
    start: dt.date
    week_start: dt.date
    week_end: dt.date
    rows: list[WeeklyRow]
    total: WeeklyRow


def weekly_table(prefix: str, week_end: dt.date, campaign: Campaign | None = None) -> WeeklyTable:
    """Households inspected (to date and this week), verdicts and grades by unit below `prefix`.

    Each household counts once, by its latest inspection in the period; grades count each house
    once, by its latest original appraisal. The period runs from the campaign's start (or 1 January)
    to `week_end`, the week being the seven days ending on it.
    """
    length = child_length(prefix)
    start = campaign.start_date if campaign else dt.date(week_end.year, 1, 1)
    week_start = week_end - dt.timedelta(days=6)
    counts = household_counts(prefix, start, week_end, week_start=week_start, campaign=campaign)
    low, high = code_range(prefix)
    grades = _latest_grades(length, low, high, start, week_end)
    units = sorted(set(counts) | set(grades))
    rows = []
    for unit in units:
        row = WeeklyRow(unit, name_of(unit))
        for part in (counts, grades):
            row.values.update(part.get(unit, {}))
        rows.append(row)
    total = WeeklyRow(prefix, "合计")
    for key in WEEKLY_COLUMNS:
        total.values[key] = sum(r.values[key] for r in rows)
    return WeeklyTable(prefix, start, week_start, week_end, rows, total)


# The latest record per household (or house) in one pass: MAX(id * k + code) picks the newest row and
# carries its verdict or grade in the low digits, so no second lookup by id is needed (the IN form
# made PostgreSQL re-read 1.6 M rows for a city; docs/performance.md).


def household_counts(prefix: str, start: dt.date, end: dt.date, *, week_start: dt.date | None = None,
                     campaign: Campaign | None = None) -> dict[str, dict[str, int]]:  # fmt: skip
    """THE rule by which campaign progress and the weekly table count households, per unit one level
    below `prefix`: households, key_households, inspected, inspected_key, safe, suspect, this_week.

    The population: a closed campaign's snapshot (its tasks, each in the unit it was in when the
    campaign closed); otherwise the archive as it is today (an open campaign covers the households of
    its region as they are now, ADR 0027). A household of the population counts as inspected when it
    has an inspection dated `start`..`end` (one of the campaign's, when there is a campaign), once, by
    the verdict of its latest; `this_week` when one of them is dated `week_start`..`end`.
    """
    length = child_length(prefix)
    low, high = code_range(prefix if campaign is None else within(campaign, prefix))
    hh, tasks, insp = Household._meta.db_table, InspectionTask._meta.db_table, Inspection._meta.db_table
    if campaign is not None and campaign.is_closed:
        population = (
            f"SELECT t.household_id, t.region_code, h.is_key_group FROM {tasks} t JOIN {hh} h ON h.id = t.household_id "
            "WHERE t.campaign_id = %s AND t.region_code BETWEEN %s AND %s"
        )
        pop_params: list[Any] = [campaign.pk, low, high]
    else:
        population = f"SELECT id AS household_id, region_code, is_key_group FROM {hh} WHERE region_code BETWEEN %s AND %s"
        pop_params = [low, high]
    which_params: list[Any]
    if campaign is not None:
        which, which_params = "campaign_id = %s", [campaign.pk]
    else:
        which, which_params = "region_code BETWEEN %s AND %s", [low, high]
    # Two passes, the shape docs/performance.md measured: the population by unit, then each household's
    # latest inspection joined to it (MAX(id * 2 + suspect): the newest row, its verdict in the lowest bit).
    group = "GROUP BY substr(p.region_code, 1, %s)"
    counted = f"""SELECT substr(p.region_code, 1, %s), COUNT(*), SUM(CASE WHEN p.is_key_group THEN 1 ELSE 0 END)
                  FROM ({population}) p {group}"""
    inspected = f"""
        SELECT substr(p.region_code, 1, %s), COUNT(*), SUM(CASE WHEN p.is_key_group THEN 1 ELSE 0 END),
               SUM(l.m %% 2), SUM(l.w)
        FROM (SELECT household_id, MAX(id * 2 + CASE WHEN verdict = %s THEN 1 ELSE 0 END) AS m,
                     MAX(CASE WHEN inspected_on >= %s THEN 1 ELSE 0 END) AS w
              FROM {insp} WHERE {which} AND inspected_on BETWEEN %s AND %s
              GROUP BY household_id) l
        JOIN ({population}) p ON p.household_id = l.household_id {group}"""
    week_from = week_start or end + dt.timedelta(days=1)
    out: dict[str, dict[str, int]] = {}
    with connection.cursor() as cur:
        cur.execute(counted, [length, *pop_params, length])
        for unit, households, key in cur.fetchall():
            out[unit] = {"households": households, "key_households": int(key or 0), **dict.fromkeys(INSPECTED, 0)}
        cur.execute(inspected, [length, Verdict.SUSPECT, week_from, *which_params, start, end, *pop_params, length])
        for unit, n, key, suspect, week in cur.fetchall():
            sus = int(suspect or 0)
            out[unit].update(inspected=n, inspected_key=int(key or 0), suspect=sus, safe=n - sus, this_week=int(week or 0))
    return out


INSPECTED = ("inspected", "inspected_key", "suspect", "safe", "this_week")


def within(campaign: Campaign, prefix: str) -> str:
    """The part of `prefix` the campaign covers: the deeper of the two when one holds the other, else
    a code no region has (the campaign covers nothing there)."""
    if prefix.startswith(campaign.scope):
        return prefix
    if campaign.scope.startswith(prefix):
        return campaign.scope
    return "-"


@dataclass
class Difference:
    """A closed campaign against the archive today, under one prefix (the page explains it)."""

    closed_with: int  # households in the campaign (as it was closed)
    today: int  # households in the archive today
    added: int  # in the archive today, not in the campaign
    gone: int  # in the campaign, no longer in these regions


def difference(campaign: Campaign, prefix: str) -> Difference | None:
    """None while the campaign is open (it is the archive today) or when the two agree."""
    if not campaign.is_closed:
        return None
    region = within(campaign, prefix)
    scope = prefix_filter(region)
    snapshot = InspectionTask.objects.filter(campaign=campaign).filter(scope)
    archive = Household.objects.filter(scope)
    low, high = code_range(region)
    gone = snapshot.exclude(household__region_code__range=(low, high)).count()
    added = archive.exclude(pk__in=snapshot.values("household_id")).count()
    found = Difference(snapshot.count(), archive.count(), added, gone)
    return found if found.added or found.gone or found.closed_with != found.today else None


def _latest_grades(length: int, low: str, high: str, start: dt.date, end: dt.date) -> dict[str, dict[str, int]]:
    rank = " ".join(f"WHEN '{g}' THEN {i}" for i, g in enumerate("ABCD"))
    sql = f"""
        SELECT substr(region_code, 1, %s) AS unit, m %% 4 AS grade, COUNT(*)
        FROM (SELECT MAX(region_code) AS region_code, MAX(id * 4 + CASE grade {rank} ELSE 0 END) AS m
              FROM {Appraisal._meta.db_table}
              WHERE region_code BETWEEN %s AND %s AND kind = %s AND appraised_on BETWEEN %s AND %s
              GROUP BY house_id) l
        GROUP BY substr(region_code, 1, %s), m %% 4"""
    out: dict[str, dict[str, int]] = {}
    with connection.cursor() as cur:
        cur.execute(sql, [length, low, high, AppraisalKind.ORIGINAL, start, end, length])
        for unit, grade, n in cur.fetchall():
            row = out.setdefault(unit, {"appraised": 0, **dict.fromkeys("ABCD", 0)})
            row["ABCD"[int(grade)]] += n
            row["appraised"] += n
    return out


def last_thursday(today: dt.date) -> dt.date:
    """Weekly reports are due on Thursday mornings: the report week ends on the latest Thursday."""
    return today - dt.timedelta(days=(today.weekday() - 3) % 7)


def coverage_note(campaign: Campaign | None, prefix: str, shown: int) -> str:
    """What the progress page, the weekly page and its Excel file say about whom the figures cover
    (`shown`: the households they count under `prefix`); empty when there is nothing to explain."""
    if campaign is None:
        return ""
    if campaign.is_closed:
        day = timezone.localtime(campaign.closed_at).date() if campaign.closed_at else campaign.deadline
        note = _("本次排查已于 %(day)s 结束，统计按结束时范围内的农户计算。") % {"day": f"{day:%Y-%m-%d}"}
        found = difference(campaign, prefix)
        if found is not None:
            note += _(
                "结束时共 %(n)d 户；目前档案中该范围有 %(m)d 户，其中结束后新增（或迁入）%(a)d 户不在本次排查内，"
                "另有 %(b)d 户已迁出该范围但仍按结束时计入。按当前档案统计请选择不限排查工作的统计表。"
            ) % {"n": found.closed_with, "m": found.today, "a": found.added, "b": found.gone}
        return note
    if within(campaign, prefix) == campaign.scope and shown != campaign.task_count:
        return _(
            "排查进行中，按当前档案统计：发起时共 %(n)d 户，目前范围内有 %(m)d 户；"
            "此后新增的农户计入本次排查，迁出或注销的不再计入。"
        ) % {"n": campaign.task_count, "m": shown}
    return ""


def pending_households(campaign: Campaign, prefix: str) -> QuerySet[Household]:
    """The households of the campaign under `prefix` not yet inspected in it (by the rule above)."""
    if campaign.is_closed:
        members = Household.objects.filter(
            pk__in=InspectionTask.objects.filter(campaign=campaign).filter(prefix_filter(prefix)).values("household_id")
        )
    else:
        members = Household.objects.filter(prefix_filter(within(campaign, prefix)))
    done = Inspection.objects.filter(campaign=campaign, inspected_on__gte=campaign.start_date).values("household_id")
    return members.exclude(pk__in=done)


def household_total(campaign: Campaign) -> int:
    """How many households the campaign holds now: the archive today while open, the snapshot once closed."""
    if campaign.is_closed:
        return campaign.task_count
    return Household.objects.filter(prefix_filter(campaign.scope)).count()
