"""Dates the server can vouch for, against domain 7.1 and issue 12, with the periods written out here.

The village and town notices run at least 7 days and the county's at least 5, counted from the later
of the start the official gives and the day the notice is entered; construction stages are at least
7 days apart, counted the same way; no date may be in the future or before the step it follows.
Cases are plain stand-ins, so each rule is judged alone; the services' tests take the same steps
through the pages and the API.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from renovation import dates
from renovation.tests.test_workflow_standard import Notices  # case.notices as the guards read it

D = dt.date
NOTICE_DAYS = {"village": 7, "town": 7, "county": 5}
LEVEL_NAMES = {"village": "村级", "town": "乡镇", "county": "县级"}
STAGE_GAP = 7


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.mark.parametrize("level", ["village", "town", "county"])
def test_a_notice_runs_its_days_from_the_day_it_is_published(level: str) -> None:
    days = NOTICE_DAYS[level]
    period, why = dates.notice_period(level, D(2026, 6, 1), None, D(2026, 6, 1))
    assert why is None and (period.counted_from, period.end) == (D(2026, 6, 1), D(2026, 6, 1) + dt.timedelta(days=days - 1))
    # back-dated a week: still counted from the day it was entered
    period, why = dates.notice_period(level, D(2026, 5, 25), None, D(2026, 6, 1))
    assert why is None and (period.counted_from, period.end) == (D(2026, 6, 1), D(2026, 6, 1) + dt.timedelta(days=days - 1))
    # a longer period is the official's choice
    period, why = dates.notice_period(level, D(2026, 6, 1), D(2026, 6, 20), D(2026, 6, 1))
    assert why is None and (period.counted_from, period.end) == (D(2026, 6, 1), D(2026, 6, 20))
    last = D(2026, 6, 1) + dt.timedelta(days=days - 1)
    period, why = dates.notice_period(level, D(2026, 6, 1), last, D(2026, 6, 1))
    assert why is None and period.end == last


@pytest.mark.parametrize("level", ["village", "town", "county"])
def test_a_notice_shorter_than_its_days_is_refused(level: str) -> None:
    days = NOTICE_DAYS[level]
    last = D(2026, 6, 1) + dt.timedelta(days=days - 1)
    period, why = dates.notice_period(level, D(2026, 6, 1), last - dt.timedelta(days=1), D(2026, 6, 1))
    assert period is None
    assert (
        why
        == f"{LEVEL_NAMES[level]}公示期不少于 {days} 天，自 2026年06月01日 起算，结束日期不能早于 2026年06月{last.day:02d}日。"
    )
    # back-dated start and end: the period is counted from the day it is entered
    period, why = dates.notice_period(level, D(2026, 5, 20), D(2026, 6, 2), D(2026, 6, 1))
    assert period is None and "自 2026年06月01日 起算" in str(why)


def test_a_notice_cannot_start_in_the_future() -> None:
    period, why = dates.notice_period("village", D(2026, 6, 2), None, D(2026, 6, 1))
    assert period is None and why == "公示开始日期（2026年06月02日）不能晚于今天（2026年06月01日）"


def test_the_plain_date_rules() -> None:
    assert dates.not_future(D(2026, 6, 1), D(2026, 6, 1), "开工日期") is None
    assert (
        dates.not_future(D(2026, 6, 2), D(2026, 6, 1), "开工日期") == "开工日期（2026年06月02日）不能晚于今天（2026年06月01日）"
    )
    assert dates.not_before(D(2026, 6, 1), D(2026, 6, 1), "竣工", "开工") is None
    assert dates.not_before(D(2026, 6, 1), None, "竣工", "开工") is None
    assert (
        dates.not_before(D(2026, 5, 31), D(2026, 6, 1), "竣工", "开工") == "竣工（2026年05月31日）不能早于开工（2026年06月01日）"
    )


# --- construction stages, on a stand-in case ---------------------------------------------------------


class Events:
    """case.events as the date rule reads it: filter / exclude, order_by("-at", "-id"), first()."""

    def __init__(self, events: list[Any]) -> None:
        self.events = events

    def filter(self, action: str) -> Events:
        return Events([e for e in self.events if e.action == action])

    def exclude(self, action__in: list[str]) -> Events:
        return Events([e for e in self.events if e.action not in action__in])

    def order_by(self, *keys: str) -> Events:
        assert keys == ("-at", "-id")
        return Events(sorted(self.events, key=lambda e: (e.at, e.id), reverse=True))

    def first(self) -> Any:
        return self.events[0] if self.events else None


def event(n: int, action: str, entered: dt.date, effective: dt.date | None = None) -> Any:
    return SimpleNamespace(id=n, action=action, at=at(entered), effective_on=effective or entered)


def built(*steps: tuple[str, dt.date, dt.date], notices: Notices | None = None, completed_on: dt.date | None = None) -> Any:
    """A case agreed on 1 June, with (action, given date, entered date) stages after it."""
    events = [event(1, "agree", D(2026, 6, 1))] + [event(i, a, entered, given) for i, (a, given, entered) in enumerate(steps, 2)]
    columns = {"start": "started_on", "structure_done": "structure_done_on", "complete": "completed_on"}
    fields: dict[str, Any] = {"started_on": None, "structure_done_on": None, "completed_on": completed_on}
    for action, given, _entered in steps:
        if action in columns:
            fields[columns[action]] = given
    return SimpleNamespace(events=Events(events), notices=notices or Notices(), **fields)


def test_works_cannot_start_before_the_agreement() -> None:
    assert dates.step_problems(built(), "start", D(2026, 5, 30), D(2026, 6, 2)) == [
        "开工（2026年05月30日）不能早于签订协议（2026年06月01日）"
    ]
    assert dates.step_problems(built(), "start", D(2026, 6, 1), D(2026, 6, 2)) == []


def test_stages_are_at_least_the_gap_apart() -> None:
    started = built(("start", D(2026, 6, 2), D(2026, 6, 2)))
    gap_day = D(2026, 6, 2) + dt.timedelta(days=STAGE_GAP)
    assert dates.step_problems(started, "complete", gap_day, gap_day) == []
    too_soon = gap_day - dt.timedelta(days=1)
    assert dates.step_problems(started, "complete", too_soon, too_soon) == [
        f"距上一施工节点（开工，2026年06月02日 起算）不足 {STAGE_GAP} 天，请核实施工进度。"
    ]
    assert dates.step_problems(started, "structure_done", too_soon, too_soon) == [
        f"距上一施工节点（开工，2026年06月02日 起算）不足 {STAGE_GAP} 天，请核实施工进度。"
    ]


def test_a_back_dated_start_does_not_shorten_the_gap() -> None:
    late_entry = built(("start", D(2026, 6, 2), D(2026, 6, 10)))  # said 2 June, entered 10 June
    assert dates.step_problems(late_entry, "complete", D(2026, 6, 12), D(2026, 6, 12)) == [
        f"距上一施工节点（开工，2026年06月10日 起算）不足 {STAGE_GAP} 天，请核实施工进度。"
    ]
    assert dates.step_problems(late_entry, "complete", D(2026, 6, 17), D(2026, 6, 17)) == []
    # the completion back-dated too is counted from its own entry
    assert dates.step_problems(late_entry, "complete", D(2026, 6, 9), D(2026, 6, 17)) == []


def test_completion_cannot_precede_the_start_nor_lie_in_the_future() -> None:
    started = built(("start", D(2026, 6, 2), D(2026, 6, 2)))
    assert dates.step_problems(started, "complete", D(2026, 6, 1), D(2026, 6, 20)) == [
        "竣工（2026年06月01日）不能早于开工（2026年06月02日）"
    ]
    assert dates.step_problems(started, "complete", D(2026, 6, 28), D(2026, 6, 20)) == [
        "竣工日期（2026年06月28日）不能晚于今天（2026年06月20日）"
    ]


def test_acceptance_is_not_before_completion() -> None:
    done = built(completed_on=D(2026, 6, 9))
    assert dates.step_problems(done, "accept", D(2026, 6, 8), D(2026, 6, 20)) == [
        "竣工验收日期（2026年06月08日）不能早于竣工日期（2026年06月09日）"
    ]
    assert dates.step_problems(done, "accept", D(2026, 6, 9), D(2026, 6, 20)) == []


def test_the_review_after_a_notice_is_dated_after_the_notice_has_run() -> None:
    subject = SimpleNamespace(
        events=Events([event(1, "village_notice", D(2026, 6, 1))]), notices=Notices(("village", D(2026, 6, 7)))
    )
    assert dates.step_problems(subject, "town_review", D(2026, 6, 7), D(2026, 6, 20)) == [
        "乡镇审核日期（2026年06月07日）不能早于公示期满次日（2026年06月08日）"
    ]
    assert dates.step_problems(subject, "town_review", D(2026, 6, 8), D(2026, 6, 20)) == []
    assert dates.step_problems(subject, "town_review", D(2026, 5, 31), D(2026, 6, 20)) == [
        "乡镇审核日期（2026年05月31日）不能早于上一步“村级公示”（2026年06月01日）"
    ]


def test_an_objection_is_held_the_day_it_comes_in() -> None:
    subject = SimpleNamespace(events=Events([event(1, "village_notice", D(2026, 6, 1))]), notices=Notices())
    assert dates.step_problems(subject, "village_hold", D(2026, 5, 1), D(2026, 6, 3)) == []
    assert dates.step_problems(subject, "village_hold", D(2026, 6, 4), D(2026, 6, 3)) == [
        "异议暂停日期（2026年06月04日）不能晚于今天（2026年06月03日）"
    ]


def test_a_corrected_stage_date_meets_the_same_rules() -> None:
    started = built(("start", D(2026, 6, 2), D(2026, 6, 2)), ("complete", D(2026, 6, 12), D(2026, 6, 12)))
    assert dates.correction_problems(started, "start", D(2026, 6, 3), D(2026, 6, 20)) == []
    assert dates.correction_problems(started, "start", D(2026, 5, 31), D(2026, 6, 20)) == [
        "开工（2026年05月31日）不能早于签订协议（2026年06月01日）"
    ]
    assert dates.correction_problems(started, "start", D(2026, 6, 21), D(2026, 6, 20)) == [
        "开工日期（2026年06月21日）不能晚于今天（2026年06月20日）"
    ]
    assert dates.correction_problems(started, "structure_done", D(2026, 6, 5), D(2026, 6, 20)) == [
        "该户尚无可更正的施工节点日期。"
    ]
    assert dates.correction_problems(started, "agree", D(2026, 6, 5), D(2026, 6, 20)) == ["该户尚无可更正的施工节点日期。"]


def test_the_agreement_counts_from_its_given_date_or_else_its_entry() -> None:
    agreed_earlier = SimpleNamespace(
        events=Events([event(1, "agree", D(2026, 6, 1), D(2026, 5, 28))]),  # entered 1 June, dated 28 May
        notices=Notices(), started_on=None, structure_done_on=None, completed_on=None,
    )  # fmt: skip
    assert dates.step_problems(agreed_earlier, "start", D(2026, 5, 30), D(2026, 6, 2)) == []
    assert dates.step_problems(agreed_earlier, "start", D(2026, 5, 27), D(2026, 6, 2)) == [
        "开工（2026年05月27日）不能早于签订协议（2026年05月28日）"
    ]
    undated = SimpleNamespace(
        events=Events([SimpleNamespace(id=1, action="agree", at=at(D(2026, 6, 1)), effective_on=None)]),
        notices=Notices(), started_on=None, structure_done_on=None, completed_on=None,
    )  # fmt: skip
    assert dates.step_problems(undated, "start", D(2026, 5, 31), D(2026, 6, 2)) == [
        "开工（2026年05月31日）不能早于签订协议（2026年06月01日）"
    ]


def test_a_case_without_recorded_steps_is_judged_on_its_dates_alone() -> None:
    bare = SimpleNamespace(
        events=Events([]), notices=Notices(), started_on=D(2026, 6, 2), structure_done_on=None, completed_on=None
    )
    assert dates.step_problems(bare, "complete", D(2026, 6, 12), D(2026, 6, 12)) == []
    assert dates.correction_problems(bare, "start", D(2026, 6, 3), D(2026, 6, 20)) == []
    assert dates.step_problems(bare, "town_review", D(2026, 6, 3), D(2026, 6, 20)) == []


def test_the_step_before_may_be_the_opening_of_the_case() -> None:
    opened = SimpleNamespace(events=Events([event(1, "open", D(2026, 6, 1))]), notices=Notices())
    assert dates.step_problems(opened, "village_review", D(2026, 5, 31), D(2026, 6, 20)) == [
        "村民主评议日期（2026年05月31日）不能早于上一步“纳入改造”（2026年06月01日）"
    ]
    assert dates.step_problems(opened, "village_review", D(2026, 6, 1), D(2026, 6, 20)) == []


def test_the_review_after_a_notice_waits_for_the_latest_notice_of_its_level() -> None:
    subject = SimpleNamespace(
        events=Events([event(1, "village_notice", D(2026, 6, 1))]),
        notices=Notices(("village", D(2026, 6, 7)), ("village", D(2026, 6, 12)), ("town", D(2026, 6, 30))),
    )
    assert dates.step_problems(subject, "town_review", D(2026, 6, 12), D(2026, 6, 20)) == [
        "乡镇审核日期（2026年06月12日）不能早于公示期满次日（2026年06月13日）"
    ]
    assert dates.step_problems(subject, "town_review", D(2026, 6, 13), D(2026, 6, 20)) == []
    no_notice = SimpleNamespace(events=Events([event(1, "village_notice", D(2026, 6, 1))]), notices=Notices())
    assert dates.step_problems(no_notice, "town_review", D(2026, 6, 2), D(2026, 6, 20)) == []


@pytest.mark.parametrize(
    "action, notice, name",
    [("town_review", "village", "乡镇审核"), ("county_approve", "town", "县级审批"), ("agree", "county", "签订改造协议")],
)
def test_each_step_after_a_notice_is_dated_after_it_has_run(action: str, notice: str, name: str) -> None:
    subject = SimpleNamespace(
        events=Events([event(1, f"{notice}_notice", D(2026, 6, 1))]), notices=Notices((notice, D(2026, 6, 5)))
    )
    assert dates.step_problems(subject, action, D(2026, 6, 5), D(2026, 6, 20)) == [
        f"{name}日期（2026年06月05日）不能早于公示期满次日（2026年06月06日）"
    ]
    assert dates.step_problems(subject, action, D(2026, 6, 6), D(2026, 6, 20)) == []
