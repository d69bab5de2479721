"""Dates the server can vouch for (issue 12): the one place the dates of a case's steps are checked.

Every step records two dates: the server's time of entry (`CaseEvent.at`) and the date the user
gives (`CaseEvent.effective_on`, the stage columns of the case, a notice's start). A given date may
not be in the future and may not precede the step before it (a notice not before the review that
produced it, completion not before the start). The minimum gap between construction stages
(`rules.stage_min_days`) and a notice's period (`rules.notice_days`) are counted from the later of the
given date and the day it was entered, so a back-dated date can never shorten them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renovation import rules, workflow

CONSTRUCTION = ("start", "structure_done", "complete")
AFTER_NOTICE = {"town_review": "village", "county_approve": "town", "agree": "county"}  # the step after each notice
STAGE_NAMES = {
    "agree": gettext_lazy("签订协议"),
    "start": gettext_lazy("开工"),
    "structure_done": gettext_lazy("主体完工"),
    "complete": gettext_lazy("竣工"),
}


def today() -> dt.date:
    """The server's date of entry (never the user's)."""
    return timezone.localdate()


@contextlib.contextmanager
def clock_at(day: dt.date, hour: int = 12) -> Iterator[None]:
    """Generated history and tests only (never a page or the API): the server's clock shows `day`, so the
    steps taken inside are entered on that day, as if they had been done then."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def entered_on(at: dt.datetime) -> dt.date:
    return timezone.localdate(at)


def _fmt(day: dt.date) -> str:
    return f"{day:%Y年%m月%d日}"


def not_future(on: dt.date, entered: dt.date, what: Any) -> str | None:
    if on > entered:
        return _("%(w)s（%(d)s）不能晚于今天（%(t)s）") % {"w": what, "d": _fmt(on), "t": _fmt(entered)}
    return None


def not_before(on: dt.date, previous: dt.date | None, what: Any, previous_what: Any) -> str | None:
    if previous is not None and on < previous:
        return _("%(w)s（%(d)s）不能早于%(p)s（%(q)s）") % {"w": what, "d": _fmt(on), "p": previous_what, "q": _fmt(previous)}
    return None


# --- the step before ------------------------------------------------------------------------------------

# Steps that do not move a case on (holds, corrections, payments by the bank) are no "step before".
_NOT_A_STEP = workflow.HOLD_ACTIONS | workflow.CORRECT_ACTIONS


def last_step(case: Any) -> Any:
    """The case's last event that moved it on (its effective date is the floor of the next one's)."""
    return case.events.exclude(action__in=list(_NOT_A_STEP)).order_by("-at", "-id").first()


def _entered_stage(case: Any, action: str) -> dt.date | None:
    event = case.events.filter(action=action).order_by("-at", "-id").first()
    return entered_on(event.at) if event is not None else None


def _agreed_on(case: Any) -> dt.date | None:
    event = case.events.filter(action="agree").order_by("-at", "-id").first()
    return (event.effective_on or entered_on(event.at)) if event is not None else None


@dataclass(frozen=True)
class Stage:
    action: str
    given: dt.date
    counted: dt.date  # the later of the given date and the day it was entered


def stage_problems(case: Any, given: dict[str, dt.date], entered: dict[str, dt.date]) -> list[str]:
    """The construction stages of the case with `given` dates replacing (or adding to) its own, checked in
    order: not before the agreement, not before the stage before, and the configured days apart counted
    from the later of each stage's given date and the day it was entered."""
    stages = []
    for action in CONSTRUCTION:
        day = given.get(action) or getattr(case, workflow.STAGE_DATES[action])
        if day is None:
            continue
        entry = entered.get(action) or _entered_stage(case, action) or day
        stages.append(Stage(action, day, max(day, entry)))
    problems = []
    agreed = _agreed_on(case)
    if stages and (p := not_before(stages[0].given, agreed, STAGE_NAMES[stages[0].action], STAGE_NAMES["agree"])):
        problems.append(p)
    gap = int(rules.rule("stage_min_days"))
    for before, after in itertools.pairwise(stages):
        if p := not_before(after.given, before.given, STAGE_NAMES[after.action], STAGE_NAMES[before.action]):
            problems.append(p)
        elif (after.counted - before.counted).days < gap:
            problems.append(
                _("距上一施工节点（%(p)s，%(d)s 起算）不足 %(n)d 天，请核实施工进度。")
                % {"p": STAGE_NAMES[before.action], "d": _fmt(before.counted), "n": gap}
            )
    return problems


def step_problems(case: Any, action: str, on: dt.date, entered: dt.date) -> list[str]:
    """Why the date given for this step cannot be taken (empty when it can)."""
    step = workflow.BY_ACTION[action]
    what = _("%(a)s日期") % {"a": step.label}
    if p := not_future(on, entered, what):
        return [p]
    if action in workflow.HOLD_ACTIONS:
        return []  # an objection holds the case the day it is received (the server's day)
    if action in CONSTRUCTION:
        return stage_problems(case, {action: on}, {action: entered})
    if action == "accept":
        return [p] if (p := not_before(on, case.completed_on, what, _("竣工日期"))) else []
    previous = last_step(case)
    if previous is not None and previous.effective_on is not None:
        label = workflow.BY_ACTION[previous.action].label if previous.action in workflow.BY_ACTION else _("纳入改造")
        if p := not_before(on, previous.effective_on, what, _("上一步“%(a)s”") % {"a": label}):
            return [p]
        if action in AFTER_NOTICE:  # the review after a notice is not dated inside its period
            notice = case.notices.filter(level=AFTER_NOTICE[action]).order_by("-end_date").first()
            after = notice.end_date + dt.timedelta(days=1) if notice is not None else None
            if p := not_before(on, after, what, _("公示期满次日")):
                return [p]
    return []


def correction_problems(case: Any, stage: str, on: dt.date, entered: dt.date) -> list[str]:
    """A corrected stage date: the same rules as when it was first given, with the stages after it too."""
    if stage not in CONSTRUCTION or getattr(case, workflow.STAGE_DATES[stage]) is None:
        return [_("该户尚无可更正的施工节点日期。")]
    if p := not_future(on, entered, _("%(s)s日期") % {"s": STAGE_NAMES[stage]}):
        return [p]
    return stage_problems(case, {stage: on}, {})


# --- notices --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    counted_from: dt.date
    end: dt.date


def notice_period(level: str, start: dt.date, end: dt.date | None, entered: dt.date) -> tuple[Period | None, str | None]:
    """The notice's period: counted from the later of its start and the day it is published, at least the
    level's days; or why the dates given cannot be."""
    name = workflow.LEVEL_LABELS[level]
    if p := not_future(start, entered, _("公示开始日期")):
        return None, p
    days = rules.notice_days(level)
    counted = max(start, entered)
    least = counted + dt.timedelta(days=days - 1)
    if end is not None and end < least:
        return None, _("%(l)s公示期不少于 %(d)d 天，自 %(c)s 起算，结束日期不能早于 %(e)s。") % {
            "l": name,
            "d": days,
            "c": _fmt(counted),
            "e": _fmt(least),
        }
    return Period(counted, end or least), None
