"""The renovation workflow of domain 7.1, declared in one place.

Each step names the states it leaves from, the state it reaches, the capability and the level of
region the actor must hold (village 12 digits, town 9, county 6), and its guards: conditions on the
case that must hold, each returning the reason (in Chinese) when it does not. `services.transition`
is the only code that moves a case, and it does so only through this table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from accounts.roles import Cap
from renovation.models import GUARANTEE_MODES, NEW_BUILD_MODES, Case

VILLAGE, TOWN, COUNTY = 12, 9, 6

STATES: dict[str, str] = {
    "application": "农户申请",
    "village_reviewed": "村民主评议通过",
    "village_notice": "村级公示中",
    "town_reviewed": "乡镇审核通过",
    "town_notice": "乡镇公示中",
    "county_approved": "县级审批通过",
    "county_notice": "县级公示中",
    "agreed": "已签改造协议",
    "started": "已开工",
    "structure_done": "主体完工",
    "completed": "已竣工",
    "accepted": "已验收",
    "demolished": "旧房已拆除/封存",
    "paid": "补助已拨付",
    "archived": "已归档",
    "rejected": "未通过",
}
OPEN_STATES = frozenset(STATES) - {"archived", "rejected"}
# The states in which the notice of a level runs, and the level's notice.
NOTICE_STATE = {"village": "village_notice", "town": "town_notice", "county": "county_notice"}
NOTICE_FROM = {"village": "village_reviewed", "town": "town_reviewed", "county": "county_approved"}
NOTICE_LEVEL = {"village": VILLAGE, "town": TOWN, "county": COUNTY}

Guard = Callable[[Case, dt.date], str | None]


def notice_over(level: str) -> Guard:
    def guard(case: Case, today: dt.date) -> str | None:
        notice = case.notices.filter(level=level).order_by("-end_date").first()
        if notice is None:
            return f"尚未进行{ {'village': '村级', 'town': '乡镇', 'county': '县级'}[level] }公示"
        if today <= notice.end_date:
            return f"公示期至 {notice.end_date:%Y年%m月%d日}，公示期满后才能进行下一步"
        return None

    return guard


def not_on_hold(case: Case, today: dt.date) -> str | None:
    return "公示期间有未处理的异议，须先处理异议" if case.on_hold else None


def needs_construction(case: Case, today: dt.date) -> str | None:
    return "该保障方式无需施工，请直接确认保障落实" if case.mode in GUARANTEE_MODES else None


def is_guarantee(case: Case, today: dt.date) -> str | None:
    if case.mode not in GUARANTEE_MODES:
        return "只有投亲靠友、租赁、置换/购置、公租房等保障方式可以直接确认"
    return None if case.guarantee_evidence.strip() else "请先填写保障方式的证明材料"


def is_new_build(case: Case, today: dt.date) -> str | None:
    return None if case.mode in NEW_BUILD_MODES else "只有新建、翻建类改造需要拆除或封存旧房"


def agreed_terms(case: Case, today: dt.date) -> str | None:
    return None if case.mode and case.subsidy is not None else "请先填写改造方式和补助金额"


@dataclass(frozen=True)
class Step:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    cap: Cap
    levels: tuple[int, ...]
    guards: tuple[Guard, ...] = field(default_factory=tuple)
    needs_comment: bool = False


STEPS: tuple[Step, ...] = (
    Step("village_review", "村民主评议", ("application",), "village_reviewed", Cap.CASE_REVIEW, (VILLAGE,)),
    Step(
        "town_review",
        "乡镇审核",
        ("village_notice",),
        "town_reviewed",
        Cap.CASE_REVIEW,
        (TOWN,),
        (not_on_hold, notice_over("village")),
    ),
    Step(
        "county_approve",
        "县级审批",
        ("town_notice",),
        "county_approved",
        Cap.CASE_APPROVE,
        (COUNTY,),
        (not_on_hold, notice_over("town")),
    ),
    Step(
        "agree",
        "签订改造协议",
        ("county_notice",),
        "agreed",
        Cap.CASE_APPROVE,
        (COUNTY, TOWN),
        (not_on_hold, notice_over("county"), agreed_terms),
    ),
    Step("start", "开工", ("agreed",), "started", Cap.CASE_BUILD, (TOWN, VILLAGE), (needs_construction,)),
    Step("structure_done", "主体完工", ("started",), "structure_done", Cap.CASE_BUILD, (TOWN, VILLAGE)),
    Step("complete", "竣工", ("started", "structure_done"), "completed", Cap.CASE_BUILD, (TOWN, VILLAGE)),
    Step("accept", "竣工验收", ("completed",), "accepted", Cap.CASE_ACCEPT, (COUNTY, TOWN)),
    Step("confirm_guarantee", "确认保障落实", ("agreed",), "accepted", Cap.CASE_APPROVE, (COUNTY,), (is_guarantee,)),
    Step("demolish", "旧房拆除/封存", ("accepted",), "demolished", Cap.CASE_BUILD, (TOWN, VILLAGE), (is_new_build,)),
    Step("archive", "归档", ("paid",), "archived", Cap.CASE_APPROVE, (COUNTY,)),
    # Sent back to the village to do again, or refused, by whoever reviews at that point, always with a reason.
    Step(
        "return",
        "退回重新申请",
        ("village_notice", "town_notice", "county_notice", "village_reviewed", "town_reviewed", "county_approved"),
        "application",
        Cap.CASE_REVIEW,
        (TOWN, COUNTY),
        needs_comment=True,
    ),
    Step(
        "reject",
        "不予通过",
        ("application", "village_reviewed", "village_notice", "town_reviewed", "town_notice", "county_approved", "county_notice"),
        "rejected",
        Cap.CASE_REVIEW,
        (VILLAGE, TOWN, COUNTY),
        needs_comment=True,
    ),
)
BY_ACTION = {s.action: s for s in STEPS}
# Moved by the funds service when the last payment of a case is confirmed by the bank, not by a user.
PAID_FROM = ("accepted", "demolished")


def paid_ready(case: Case) -> str | None:
    """A new build is paid in full only after the old house is demolished or sealed (应拆尽拆)."""
    if case.mode in NEW_BUILD_MODES and case.state != "demolished":
        return "新建、翻建类须先拆除或封存旧房"
    return None if case.state in PAID_FROM else "只有已验收的改造户可以拨付"


def available(case: Case, level: int, caps: frozenset[Cap]) -> list[Step]:
    """The steps a user of this level and these capabilities could take on the case now (guards aside)."""
    return [s for s in STEPS if case.state in s.sources and level in s.levels and s.cap in caps]


def deadline_for(appraised_on: dt.date) -> dt.date:
    """Domain 7.3: appraised January–June, finished by 30 November; July–December, by 31 May next year."""
    if appraised_on.month <= 6:
        return dt.date(appraised_on.year, 11, 30)
    return dt.date(appraised_on.year + 1, 5, 31)
