"""The renovation workflow of domain 7.1, declared in one place: `MACHINE` (core.statemachine).

Every state of a case (with its label, written once here), and every step that changes a case's state
or its objection hold: the reviews and their three public notices, objection hold and release, the
agreement, the construction stages and their date corrections, acceptance, demolition, payment
confirmed by the bank, archiving, return and refusal. Each step names the states it leaves from, the
state it reaches, who may take it (`Who`: the capability and the region levels, village 12 digits,
town 9, county 6; None for the system's own steps) and its guards: conditions on the case, each
returning the reason (in Chinese) when it does not hold. `renovation.services.transition` (and its
bulk form) is the only code that moves a case, always through `MACHINE.move`; the dates a step may
carry are checked by `renovation.dates`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Cap
from core.statemachine import Machine, Step
from renovation.modes import GUARANTEE_MODES, NEW_BUILD_MODES, NoticeLevel

VILLAGE, TOWN, COUNTY = 12, 9, 6

# --- the states ---------------------------------------------------------------------------------------
APPLICATION = "application"
VILLAGE_REVIEWED = "village_reviewed"
VILLAGE_NOTICE = "village_notice"
TOWN_REVIEWED = "town_reviewed"
TOWN_NOTICE = "town_notice"
COUNTY_APPROVED = "county_approved"
COUNTY_NOTICE = "county_notice"
AGREED = "agreed"
STARTED = "started"
STRUCTURE_DONE = "structure_done"
COMPLETED = "completed"
ACCEPTED = "accepted"
DEMOLISHED = "demolished"
PAID = "paid"
ARCHIVED = "archived"
REJECTED = "rejected"

STATES: dict[str, Any] = {
    APPLICATION: gettext_lazy("农户申请"),
    VILLAGE_REVIEWED: gettext_lazy("村民主评议通过"),
    VILLAGE_NOTICE: gettext_lazy("村级公示中"),
    TOWN_REVIEWED: gettext_lazy("乡镇审核通过"),
    TOWN_NOTICE: gettext_lazy("乡镇公示中"),
    COUNTY_APPROVED: gettext_lazy("县级审批通过"),
    COUNTY_NOTICE: gettext_lazy("县级公示中"),
    AGREED: gettext_lazy("已签改造协议"),
    STARTED: gettext_lazy("已开工"),
    STRUCTURE_DONE: gettext_lazy("主体完工"),
    COMPLETED: gettext_lazy("已竣工"),
    ACCEPTED: gettext_lazy("已验收"),
    DEMOLISHED: gettext_lazy("旧房已拆除/封存"),
    PAID: gettext_lazy("补助已拨付"),
    ARCHIVED: gettext_lazy("已归档"),
    REJECTED: gettext_lazy("未通过"),
}
FINAL_STATES = (ARCHIVED, REJECTED)
OPEN_STATES = frozenset(STATES) - set(FINAL_STATES)
DONE_STATES = (PAID, ARCHIVED)  # the subsidy has reached the household
# Counted by the progress tables: the states at or past a stage.
STARTED_OR_LATER = (STARTED, STRUCTURE_DONE, COMPLETED, ACCEPTED, DEMOLISHED, PAID, ARCHIVED)
COMPLETED_OR_LATER = (COMPLETED, ACCEPTED, DEMOLISHED, PAID, ARCHIVED)
ACCEPTED_OR_LATER = (ACCEPTED, DEMOLISHED, PAID, ARCHIVED)
UNDER_CONSTRUCTION = (STARTED, STRUCTURE_DONE, COMPLETED)  # an advance may be paid
BUILDING = (AGREED, *UNDER_CONSTRUCTION)  # construction photos may be taken
TERMS_OPEN = (COUNTY_APPROVED, COUNTY_NOTICE, AGREED)  # mode and subsidy may be set

# The notices: the level's notice state, the state it is published from, the level's code length.
LEVELS = ("village", "town", "county")
NOTICE_STATE = {"village": VILLAGE_NOTICE, "town": TOWN_NOTICE, "county": COUNTY_NOTICE}
NOTICE_FROM = {"village": VILLAGE_REVIEWED, "town": TOWN_REVIEWED, "county": COUNTY_APPROVED}
NOTICE_LEVEL = {"village": VILLAGE, "town": TOWN, "county": COUNTY}
LEVEL_LABELS = {"village": gettext_lazy("村级"), "town": gettext_lazy("乡镇"), "county": gettext_lazy("县级")}
# The construction stages: the step, the case's date column, and the step before it whose date it may not precede.
STAGE_DATES = {"start": "started_on", "structure_done": "structure_done_on", "complete": "completed_on"}
STAGE_ORDER = ("agree", "start", "structure_done", "complete")


@dataclass(frozen=True)
class Who:
    """Who may take a step: the capability and the levels of region (code lengths) it is taken at."""

    cap: Cap
    levels: tuple[int, ...]


Guard = Callable[..., "str | None"]


# --- guards (each: the reason in Chinese, or None) ------------------------------------------------------


def notice_over(level: str) -> Guard:
    """The level's notice has run its full period (counted from when it was really published)."""

    def guard(case: Any, today: dt.date, **_context: Any) -> str | None:
        notice = case.notices.filter(level=level).order_by("-end_date").first()
        if notice is None:
            return _("尚未进行%(l)s公示") % {"l": LEVEL_LABELS[level]}
        if today <= notice.end_date:
            return _("公示期至 %(d)s，公示期满后才能进行下一步") % {"d": f"{notice.end_date:%Y年%m月%d日}"}
        return None

    return guard


def not_on_hold(case: Any, today: dt.date, **_context: Any) -> str | None:
    return _("公示期间有未处理的异议，须先处理异议") if case.on_hold else None


def on_hold(case: Any, today: dt.date, **_context: Any) -> str | None:
    return None if case.on_hold else _("该户没有暂停的异议")


def needs_construction(case: Any, today: dt.date, **_context: Any) -> str | None:
    return _("该保障方式无需施工，请直接确认保障落实") if case.mode in GUARANTEE_MODES else None


def is_guarantee(case: Any, today: dt.date, **_context: Any) -> str | None:
    if case.mode not in GUARANTEE_MODES:
        return _("只有投亲靠友、租赁、置换/购置、公租房等保障方式可以直接确认")
    return None if case.guarantee_evidence.strip() else _("请先填写保障方式的证明材料")


def is_new_build(case: Any, today: dt.date, **_context: Any) -> str | None:
    return None if case.mode in NEW_BUILD_MODES else _("只有新建、翻建类改造需要拆除或封存旧房")


def agreed_terms(case: Any, today: dt.date, **_context: Any) -> str | None:
    return None if case.mode and case.subsidy is not None else _("请先填写改造方式和补助金额")


def structure_first(case: Any, today: dt.date, **_context: Any) -> str | None:
    if case.mode in NEW_BUILD_MODES and case.state != STRUCTURE_DONE:
        return _("新建、翻建须先完成主体。")
    return None


def paid_ready(case: Any, today: dt.date | None = None, **_context: Any) -> str | None:
    """A new build is paid in full only after the old house is demolished or sealed (应拆尽拆)."""
    if case.state not in PAY.sources:
        return _("只有已验收的改造户可以拨付")
    if case.mode in NEW_BUILD_MODES and case.state != DEMOLISHED:
        return _("新建、翻建类须先拆除或封存旧房")
    return None


def payable(cases: QuerySet[Any]) -> QuerySet[Any]:
    """`paid_ready` as a query, for a bank return of 50,000 lines: the cases the bank's confirmation may move."""
    return cases.filter(state__in=PAY.sources).exclude(mode__in=list(NEW_BUILD_MODES), state=ACCEPTED)


# --- the steps ---------------------------------------------------------------------------------------------

REVIEW_ANY = Who(Cap.CASE_REVIEW, (VILLAGE, TOWN, COUNTY))
CORRECT_LABEL = gettext_lazy("更正日期")
HOLD_LABEL = gettext_lazy("异议暂停")
RELEASE_LABEL = gettext_lazy("异议处理完毕")


def _notice_steps() -> list[Step]:
    steps = []
    for level in LEVELS:
        label = NoticeLevel(level).label
        who = Who(Cap.CASE_REVIEW, (NOTICE_LEVEL[level],))
        steps.append(Step(f"{level}_notice", label, (NOTICE_FROM[level],), NOTICE_STATE[level], who=who))
        # An objection holds the case where it is; its release lets the case go on (neither changes the state).
        steps.append(Step(f"{level}_hold", HOLD_LABEL, (NOTICE_STATE[level],), NOTICE_STATE[level], who=REVIEW_ANY))
        steps.append(
            Step(f"{level}_release", RELEASE_LABEL, (NOTICE_STATE[level],), NOTICE_STATE[level], (on_hold,), who=REVIEW_ANY)
        )
    return steps


# A stage date is corrected (with a reason, by the town or county) while the case is still under construction.
CORRECTABLE = UNDER_CONSTRUCTION
CORRECT_WHO = Who(Cap.CASE_ACCEPT, (TOWN, COUNTY))

PAY = Step("pay", gettext_lazy("补助拨付"), (ACCEPTED, DEMOLISHED), PAID, (paid_ready,))  # the bank's confirmation

MACHINE = Machine(
    "renovation.case",
    model="renovation.Case",
    states=STATES,
    initial=APPLICATION,
    final=FINAL_STATES,
    steps=(
        Step(
            "village_review", gettext_lazy("村民主评议"), (APPLICATION,), VILLAGE_REVIEWED, who=Who(Cap.CASE_REVIEW, (VILLAGE,))
        ),
        Step(
            "town_review",
            gettext_lazy("乡镇审核"),
            (VILLAGE_NOTICE,),
            TOWN_REVIEWED,
            (not_on_hold, notice_over("village")),
            who=Who(Cap.CASE_REVIEW, (TOWN,)),
        ),
        Step(
            "county_approve",
            gettext_lazy("县级审批"),
            (TOWN_NOTICE,),
            COUNTY_APPROVED,
            (not_on_hold, notice_over("town")),
            who=Who(Cap.CASE_APPROVE, (COUNTY,)),
        ),
        *_notice_steps(),
        Step(
            "agree",
            gettext_lazy("签订改造协议"),
            (COUNTY_NOTICE,),
            AGREED,
            (not_on_hold, notice_over("county"), agreed_terms),
            who=Who(Cap.CASE_APPROVE, (COUNTY, TOWN)),
        ),
        Step("start", gettext_lazy("开工"), (AGREED,), STARTED, (needs_construction,), who=Who(Cap.CASE_BUILD, (TOWN, VILLAGE))),
        Step("structure_done", gettext_lazy("主体完工"), (STARTED,), STRUCTURE_DONE, who=Who(Cap.CASE_BUILD, (TOWN, VILLAGE))),
        Step(
            "complete",
            gettext_lazy("竣工"),
            (STARTED, STRUCTURE_DONE),
            COMPLETED,
            (structure_first,),
            who=Who(Cap.CASE_BUILD, (TOWN, VILLAGE)),
        ),
        *(Step(f"correct_{s}", CORRECT_LABEL, (s,), s, who=CORRECT_WHO, needs_comment=True) for s in CORRECTABLE),
        Step("accept", gettext_lazy("竣工验收"), (COMPLETED,), ACCEPTED, who=Who(Cap.CASE_ACCEPT, (COUNTY, TOWN))),
        Step(
            "confirm_guarantee",
            gettext_lazy("确认保障落实"),
            (AGREED,),
            ACCEPTED,
            (is_guarantee,),
            who=Who(Cap.CASE_APPROVE, (COUNTY,)),
        ),
        Step(
            "demolish",
            gettext_lazy("旧房拆除/封存"),
            (ACCEPTED,),
            DEMOLISHED,
            (is_new_build,),
            who=Who(Cap.CASE_BUILD, (TOWN, VILLAGE)),
        ),
        PAY,
        Step("archive", gettext_lazy("归档"), (PAID,), ARCHIVED, who=Who(Cap.CASE_APPROVE, (COUNTY,))),
        # Sent back to the village to do again, or refused, by whoever reviews at that point, always with a reason.
        Step(
            "return",
            gettext_lazy("退回重新申请"),
            (VILLAGE_NOTICE, TOWN_NOTICE, COUNTY_NOTICE, VILLAGE_REVIEWED, TOWN_REVIEWED, COUNTY_APPROVED),
            APPLICATION,
            who=Who(Cap.CASE_REVIEW, (TOWN, COUNTY)),
            needs_comment=True,
        ),
        Step(
            "reject",
            gettext_lazy("不予通过"),
            (APPLICATION, VILLAGE_REVIEWED, VILLAGE_NOTICE, TOWN_REVIEWED, TOWN_NOTICE, COUNTY_APPROVED, COUNTY_NOTICE),
            REJECTED,
            who=REVIEW_ANY,
            needs_comment=True,
        ),
    ),
)
STEPS = MACHINE.steps
BY_ACTION = MACHINE.by_action
# Steps a person takes from the case page or the API's transition (the others have their own forms or are the system's).
NOTICE_ACTIONS = frozenset(f"{level}_notice" for level in LEVELS)
HOLD_ACTIONS = frozenset(a for level in LEVELS for a in (f"{level}_hold", f"{level}_release"))
CORRECT_ACTIONS = frozenset(f"correct_{s}" for s in CORRECTABLE)
OWN_FORM = NOTICE_ACTIONS | HOLD_ACTIONS | CORRECT_ACTIONS | {"pay", "accept"}
PERSON_STEPS = tuple(s for s in STEPS if s.action not in OWN_FORM)


def available(case: Any, level: int, caps: frozenset[Cap]) -> list[Step]:
    """The steps a user of this level and these capabilities could take on the case now (guards aside)."""
    return [s for s in MACHINE.steps_from(case.state) if s.who is not None and level in s.who.levels and s.who.cap in caps]


def deadline_for(appraised_on: dt.date) -> dt.date:
    """Domain 7.3: appraised January–June, finished by 30 November; July–December, by 31 May next year."""
    if appraised_on.month <= 6:
        return dt.date(appraised_on.year, 11, 30)
    return dt.date(appraised_on.year + 1, 5, 31)
