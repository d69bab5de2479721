"""The renovation workflow against domain 7.1, 7.2 and 7.3, from tables written out here.

Who may take each step at which level (village 村 12 digits, town 乡镇 9, county 县 6), the states it
leaves from and reaches, the guards a dishonest official would like to skip (a notice still running,
an objection on hold, terms not agreed, a guarantee route with no evidence), and the deadline rule.
Cases are plain stand-ins, so each rule is judged on its own; the services' tests take the same
steps through the pages and the API.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from accounts.roles import Cap
from renovation import workflow

VILLAGE, TOWN, COUNTY = 12, 9, 6
LEVEL_NAMES = {VILLAGE: "村", TOWN: "乡镇", COUNTY: "县"}
EVERY_CAP = frozenset(Cap)

REVIEW, APPROVE, BUILD, ACCEPT = Cap.CASE_REVIEW, Cap.CASE_APPROVE, Cap.CASE_BUILD, Cap.CASE_ACCEPT
BEFORE_AGREEMENT_RETURNABLE = (
    "village_reviewed", "village_notice", "town_reviewed", "town_notice", "county_approved", "county_notice",
)  # fmt: skip

# Domain 7.1: action -> (the states it leaves from, the state it reaches, capability, levels).
STEPS: dict[str, tuple[frozenset[str], str, Cap, frozenset[int]]] = {
    # 2. the village's democratic review
    "village_review": (frozenset({"application"}), "village_reviewed", REVIEW, frozenset({VILLAGE})),
    # 3. the town reviews once the village notice has run
    "town_review": (frozenset({"village_notice"}), "town_reviewed", REVIEW, frozenset({TOWN})),
    # 4. the county approves once the town notice has run
    "county_approve": (frozenset({"town_notice"}), "county_approved", APPROVE, frozenset({COUNTY})),
    # 5. the agreement once the county notice has run, signed by the county or the town
    "agree": (frozenset({"county_notice"}), "agreed", APPROVE, frozenset({COUNTY, TOWN})),
    # 6. construction, recorded by the village or the town
    "start": (frozenset({"agreed"}), "started", BUILD, frozenset({TOWN, VILLAGE})),
    "structure_done": (frozenset({"started"}), "structure_done", BUILD, frozenset({TOWN, VILLAGE})),
    "complete": (frozenset({"started", "structure_done"}), "completed", BUILD, frozenset({TOWN, VILLAGE})),
    # 7. acceptance by the town or the county, never the village that built
    "accept": (frozenset({"completed"}), "accepted", ACCEPT, frozenset({COUNTY, TOWN})),
    # 7.2 a guarantee route (no construction) is confirmed by the county
    "confirm_guarantee": (frozenset({"agreed"}), "accepted", APPROVE, frozenset({COUNTY})),
    # 8. the old house of a rebuild is demolished or sealed
    "demolish": (frozenset({"accepted"}), "demolished", BUILD, frozenset({TOWN, VILLAGE})),
    # 9. archive once paid
    "archive": (frozenset({"paid"}), "archived", APPROVE, frozenset({COUNTY})),
    # sent back to the village by the town or county, or refused by whoever reviews at that point
    "return": (frozenset(BEFORE_AGREEMENT_RETURNABLE), "application", REVIEW, frozenset({TOWN, COUNTY})),
    "reject": (frozenset({"application", *BEFORE_AGREEMENT_RETURNABLE}), "rejected", REVIEW, frozenset({VILLAGE, TOWN, COUNTY})),
}
# The declared machine (core.statemachine) also has the notices, their objection holds, the stage
# date corrections and the bank's payment as steps.
MACHINE_STEPS: dict[str, tuple[frozenset[str], str, Cap | None, frozenset[int]]] = {
    "village_notice": (frozenset({"village_reviewed"}), "village_notice", REVIEW, frozenset({VILLAGE})),
    "town_notice": (frozenset({"town_reviewed"}), "town_notice", REVIEW, frozenset({TOWN})),
    "county_notice": (frozenset({"county_approved"}), "county_notice", REVIEW, frozenset({COUNTY})),
    **{
        f"{level}_{kind}": (frozenset({f"{level}_notice"}), f"{level}_notice", REVIEW, frozenset({VILLAGE, TOWN, COUNTY}))
        for level in ("village", "town", "county")
        for kind in ("hold", "release")
    },
    **{
        f"correct_{state}": (frozenset({state}), state, ACCEPT, frozenset({TOWN, COUNTY}))
        for state in ("started", "structure_done", "completed")
    },
    "pay": (frozenset({"accepted", "demolished"}), "paid", None, frozenset()),  # the bank's confirmation, no person
}
DECLARED = {**STEPS, **MACHINE_STEPS} if hasattr(workflow, "MACHINE") else STEPS
STATES = {
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
GUARANTEE = ("buy_swap", "rent", "public_rental", "relatives")  # 7.2: no construction happens
NEW_BUILD = ("rebuild_onsite", "rebuild_elsewhere", "group_build", "turnkey")
REPAIR = "repair"


def who(step: Any) -> tuple[Cap | None, frozenset[int]]:
    holder = getattr(step, "who", None) or step  # the declared machine keeps cap and levels in `who`
    if not hasattr(holder, "cap"):
        return None, frozenset()
    return holder.cap, frozenset(holder.levels)


def test_the_workflow_declares_exactly_the_steps_of_the_domain() -> None:
    assert {s.action for s in workflow.STEPS} == set(DECLARED)


@pytest.mark.parametrize("action", sorted(DECLARED))
def test_each_step_leaves_from_reaches_and_is_taken_by_whom_the_domain_says(action: str) -> None:
    sources, target, cap, levels = DECLARED[action]
    step = workflow.BY_ACTION[action]
    assert (frozenset(step.sources), step.target) == (sources, target)
    assert who(step) == (cap, levels)


def test_the_states_carry_their_chinese_names() -> None:
    assert {k: str(v) for k, v in workflow.STATES.items()} == STATES
    assert workflow.OPEN_STATES == frozenset(STATES) - {"archived", "rejected"}


@pytest.mark.parametrize("state", sorted(STATES))
@pytest.mark.parametrize("level", [VILLAGE, TOWN, COUNTY])
def test_what_each_level_may_do_in_each_state(state: str, level: int) -> None:
    expected = {a for a, (sources, _, cap, levels) in DECLARED.items() if state in sources and cap and level in levels}
    assert {s.action for s in workflow.available(SimpleNamespace(state=state), level, EVERY_CAP)} == expected


@pytest.mark.parametrize("state", sorted(STATES))
def test_a_step_needs_its_capability(state: str) -> None:
    for level in (VILLAGE, TOWN, COUNTY):
        for cap in (REVIEW, APPROVE, BUILD, ACCEPT):
            offered = {s.action for s in workflow.available(SimpleNamespace(state=state), level, frozenset({cap}))}
            expected = {a for a, (sources, _, c, levels) in DECLARED.items() if state in sources and c == cap and level in levels}
            assert offered == expected
        assert workflow.available(SimpleNamespace(state=state), level, frozenset()) == []


def test_a_village_never_accepts_approves_or_archives() -> None:
    for state in STATES:
        offered = {s.action for s in workflow.available(SimpleNamespace(state=state), VILLAGE, EVERY_CAP)}
        assert not offered & {"accept", "county_approve", "confirm_guarantee", "archive", "town_review", "return"}


# --- the guards, on stand-in cases ----------------------------------------------------------------------

TODAY = dt.date(2026, 6, 15)


class Notices:
    """case.notices as the guards read it: filter(level=…).order_by("-end_date").first()."""

    def __init__(self, *notices: tuple[str, dt.date]) -> None:
        self.notices = [SimpleNamespace(level=level, end_date=end) for level, end in notices]
        self.level = ""

    def filter(self, level: str) -> Notices:
        chosen = Notices()
        chosen.notices = [n for n in self.notices if n.level == level]
        return chosen

    def order_by(self, key: str) -> Notices:
        assert key == "-end_date"
        ordered = Notices()
        ordered.notices = sorted(self.notices, key=lambda n: n.end_date, reverse=True)
        return ordered

    def first(self) -> Any:
        return self.notices[0] if self.notices else None


def case(state: str, **fields: Any) -> Any:
    base: dict[str, Any] = {"on_hold": False, "mode": REPAIR, "subsidy": 5000, "guarantee_evidence": "", "notices": Notices()}
    base.update(fields)
    return SimpleNamespace(state=state, **base)


def reasons(action: str, subject: Any, today: dt.date = TODAY) -> list[str]:
    return [str(r) for g in workflow.BY_ACTION[action].guards if (r := g(subject, today)) is not None]


NOTICE_STEPS = [("town_review", "village", "村级"), ("county_approve", "town", "乡镇"), ("agree", "county", "县级")]


@pytest.mark.parametrize("action, level, name", NOTICE_STEPS)
def test_the_next_step_waits_for_the_notice_to_run_out(action: str, level: str, name: str) -> None:
    state = next(iter(DECLARED[action][0]))
    assert reasons(action, case(state)) == [f"尚未进行{name}公示"]
    running = Notices((level, TODAY + dt.timedelta(days=1)))
    assert reasons(action, case(state, notices=running)) == ["公示期至 2026年06月16日，公示期满后才能进行下一步"]
    last_day = Notices((level, TODAY))
    assert reasons(action, case(state, notices=last_day)) == ["公示期至 2026年06月15日，公示期满后才能进行下一步"]
    over = Notices((level, TODAY - dt.timedelta(days=1)))
    assert reasons(action, case(state, notices=over)) == []
    # the latest notice of that level counts (a notice published again after a return), not another level's
    again = Notices(
        (level, TODAY - dt.timedelta(days=20)), (level, TODAY + dt.timedelta(days=3)), ("other", TODAY - dt.timedelta(days=9))
    )
    assert reasons(action, case(state, notices=again)) == ["公示期至 2026年06月18日，公示期满后才能进行下一步"]
    assert reasons(action, case(state, notices=Notices(("other", TODAY - dt.timedelta(days=9))))) == [f"尚未进行{name}公示"]


@pytest.mark.parametrize("action, level, name", NOTICE_STEPS)
def test_the_notice_guard_of_each_level(action: str, level: str, name: str) -> None:
    """The guard made afresh (the table's guards were made when the module was imported)."""
    guard = workflow.notice_over(level)
    state = next(iter(DECLARED[action][0]))

    def why(*notices: tuple[str, dt.date]) -> str | None:
        got = guard(case(state, notices=Notices(*notices)), TODAY)
        return None if got is None else str(got)

    assert why() == f"尚未进行{name}公示"
    assert why(("other", TODAY - dt.timedelta(days=30))) == f"尚未进行{name}公示"
    assert why((level, TODAY)) == "公示期至 2026年06月15日，公示期满后才能进行下一步"
    assert why((level, TODAY - dt.timedelta(days=1))) is None
    assert why((level, TODAY - dt.timedelta(days=9)), (level, TODAY + dt.timedelta(days=2))) == (
        "公示期至 2026年06月17日，公示期满后才能进行下一步"
    )


@pytest.mark.parametrize("action, level, name", NOTICE_STEPS)
def test_an_objection_on_hold_stops_the_next_step(action: str, level: str, name: str) -> None:
    state = next(iter(DECLARED[action][0]))
    over = Notices((level, TODAY - dt.timedelta(days=1)))
    assert "公示期间有未处理的异议，须先处理异议" in reasons(action, case(state, notices=over, on_hold=True))


def test_the_agreement_needs_its_mode_and_subsidy() -> None:
    over = Notices(("county", TODAY - dt.timedelta(days=1)))
    assert reasons("agree", case("county_notice", notices=over, mode="", subsidy=5000)) == ["请先填写改造方式和补助金额"]
    assert reasons("agree", case("county_notice", notices=over, mode=REPAIR, subsidy=None)) == ["请先填写改造方式和补助金额"]
    assert reasons("agree", case("county_notice", notices=over, mode=REPAIR, subsidy=0)) == []


@pytest.mark.parametrize("mode", GUARANTEE)
def test_a_guarantee_route_is_confirmed_with_evidence_and_never_built(mode: str) -> None:
    assert reasons("start", case("agreed", mode=mode)) == ["该保障方式无需施工，请直接确认保障落实"]
    assert reasons("confirm_guarantee", case("agreed", mode=mode, guarantee_evidence="  ")) == ["请先填写保障方式的证明材料"]
    assert reasons("confirm_guarantee", case("agreed", mode=mode, guarantee_evidence="租赁合同 2026-05")) == []
    assert reasons("demolish", case("accepted", mode=mode)) == ["只有新建、翻建类改造需要拆除或封存旧房"]


@pytest.mark.parametrize("mode", [REPAIR, *NEW_BUILD])
def test_a_house_that_is_built_is_not_a_guarantee_route(mode: str) -> None:
    assert reasons("start", case("agreed", mode=mode)) == []
    assert reasons("confirm_guarantee", case("agreed", mode=mode, guarantee_evidence="x")) == [
        "只有投亲靠友、租赁、置换/购置、公租房等保障方式可以直接确认"
    ]


def test_only_a_new_build_demolishes_the_old_house() -> None:
    assert reasons("demolish", case("accepted", mode=REPAIR)) == ["只有新建、翻建类改造需要拆除或封存旧房"]
    for mode in NEW_BUILD:
        assert reasons("demolish", case("accepted", mode=mode)) == []


@pytest.mark.parametrize(
    "state, mode, why",
    [
        ("accepted", REPAIR, None),
        ("demolished", REPAIR, None),
        ("demolished", "rebuild_onsite", None),
        ("accepted", "rebuild_onsite", "新建、翻建类须先拆除或封存旧房"),
        ("accepted", "turnkey", "新建、翻建类须先拆除或封存旧房"),
        ("completed", REPAIR, "只有已验收的改造户可以拨付"),
        ("agreed", "relatives", "只有已验收的改造户可以拨付"),
        ("paid", REPAIR, "只有已验收的改造户可以拨付"),
    ],
)
def test_the_subsidy_is_paid_only_after_acceptance_and_demolition(state: str, mode: str, why: str | None) -> None:
    got = workflow.paid_ready(case(state, mode=mode))
    assert (None if got is None else str(got)) == why


@pytest.mark.parametrize(
    "appraised, deadline",
    [
        (dt.date(2026, 1, 1), dt.date(2026, 11, 30)),
        (dt.date(2026, 6, 30), dt.date(2026, 11, 30)),
        (dt.date(2026, 7, 1), dt.date(2027, 5, 31)),
        (dt.date(2026, 12, 31), dt.date(2027, 5, 31)),
        (dt.date(2020, 3, 15), dt.date(2020, 11, 30)),
    ],
)
def test_the_deadline_follows_the_half_year_of_the_appraisal(appraised: dt.date, deadline: dt.date) -> None:
    assert workflow.deadline_for(appraised) == deadline


NOTICE_NAMES = {"village": "村级公示", "town": "乡镇公示", "county": "县级公示"}


def test_the_notice_steps_are_built_as_the_domain_says() -> None:
    """Made afresh (the machine's copy was made when the module was imported)."""
    built = {s.action: s for s in workflow._notice_steps()}
    expected = {a: v for a, v in MACHINE_STEPS.items() if a.split("_")[-1] in ("notice", "hold", "release")}
    assert set(built) == set(expected)
    for action, (sources, target, cap, levels) in expected.items():
        step = built[action]
        assert (frozenset(step.sources), step.target, who(step)) == (sources, target, (cap, levels)), action
        assert not step.needs_comment
    for level, name in NOTICE_NAMES.items():
        assert str(built[f"{level}_notice"].label) == name
        assert str(built[f"{level}_hold"].label) == "异议暂停"
        assert str(built[f"{level}_release"].label) == "异议处理完毕"
        assert built[f"{level}_notice"].guards == () and built[f"{level}_hold"].guards == ()
        (release,) = built[f"{level}_release"].guards
        assert str(release(case(f"{level}_notice", on_hold=False), TODAY)) == "该户没有暂停的异议"
        assert release(case(f"{level}_notice", on_hold=True), TODAY) is None


def test_an_objection_is_released_only_when_one_holds_the_case() -> None:
    assert str(workflow.on_hold(case("town_notice", on_hold=False), TODAY)) == "该户没有暂停的异议"
    assert workflow.on_hold(case("town_notice", on_hold=True), TODAY) is None
    assert reasons("town_release", case("town_notice", on_hold=False)) == ["该户没有暂停的异议"]


@pytest.mark.parametrize("mode", NEW_BUILD)
def test_a_new_build_completes_only_after_its_main_structure(mode: str) -> None:
    assert reasons("complete", case("started", mode=mode)) == ["新建、翻建须先完成主体。"]
    assert reasons("complete", case("structure_done", mode=mode)) == []
    assert reasons("complete", case("started", mode=REPAIR)) == []
