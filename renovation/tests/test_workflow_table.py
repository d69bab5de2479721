"""The workflow table against domain 7.1, written from the domain (not from renovation.workflow's table).

Domain 7.1: application → village review → village notice → town review → town notice → county
approval → county notice → agreement → started → (structure done) → completed → acceptance → (old
house demolished, new builds) → payment → archive. The village reviews, the town reviews, the county
approves; an objection during a notice pauses the case; acceptance is the town's or county's, never
the village's own; payment is the bank's. Each row puts a real case in the state and tries the step.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from core.statemachine import REGISTRY
from renovation import services
from renovation.models import Case

# (state, action, who may, who may not) — the levels as the domain gives them.
WHO = [
    ("application", "village_review", "village", ("town", "county")),
    ("village_notice", "town_review", "town", ("village", "county")),
    ("town_notice", "county_approve", "county", ("village", "town")),
    ("completed", "accept", "county", ("village",)),
    ("completed", "accept", "town", ("village",)),
]
# The steps that follow a notice, refused while an objection holds the case.
HELD = [
    ("village_notice", "town_review", "town"),
    ("town_notice", "county_approve", "county"),
    ("county_notice", "agree", "county"),
]
MAIN_PATH = [
    "application",
    "village_reviewed",
    "village_notice",
    "town_reviewed",
    "town_notice",
    "county_approved",
    "county_notice",
    "agreed",
    "started",
    "structure_done",
    "completed",
    "accepted",
    "demolished",
    "paid",
    "archived",
]


@pytest.fixture
def users(village_user: Any, town_user: Any, county_user: Any) -> dict[str, Any]:
    return {"village": village_user, "town": town_user, "county": county_user}


@pytest.fixture
def case(village_user: Any, dangerous: Any) -> Case:
    return services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)


def put(case: Case, state: str, on_hold: bool = False) -> None:
    Case.objects.filter(pk=case.pk).update(state=state, on_hold=on_hold)  # the test's own set-up


def take(user: Any, case: Case, action: str) -> str:
    """The refusal, or "" when the step passed the role check (other rules may still refuse it)."""
    try:
        services.transition(actor=user, case_id=case.pk, action=action)
    except ValidationError as exc:
        return "；".join(exc.messages)
    return ""


def role_refused(message: str) -> bool:
    return "无权" in message or "须由" in message


@pytest.mark.parametrize(("state", "action", "allowed", "refused"), WHO)
def test_who_takes_each_step(case: Case, users: dict[str, Any], state: str, action: str, allowed: str, refused: tuple) -> None:
    for level in refused:
        put(case, state)
        message = take(users[level], case, action) if action != "accept" else _accept_role(users[level], case)
        assert role_refused(message), (level, action, message)
        assert Case.objects.get(pk=case.pk).state == state
    put(case, state)
    message = take(users[allowed], case, action) if action != "accept" else _accept_role(users[allowed], case)
    assert not role_refused(message), (allowed, action, message)


def _accept_role(user: Any, case: Case) -> str:
    """Acceptance's role check is the step's: taken through the one mover with the checklist aside."""
    from django.db import transaction

    from renovation import workflow

    try:
        with transaction.atomic():
            locked = services._locked(user, case.pk, None)
            reasons = services.check_step(user, locked, workflow.BY_ACTION["accept"], "", services.dates.today())
            return "；".join(reasons)
    except ValidationError as exc:
        return "；".join(exc.messages)


@pytest.mark.parametrize(("state", "action", "level"), HELD)
def test_an_objection_holds_the_step_after_each_notice(
    case: Case, users: dict[str, Any], state: str, action: str, level: str
) -> None:
    put(case, state, on_hold=True)
    assert "未处理的异议" in take(users[level], case, action)
    assert Case.objects.get(pk=case.pk).state == state


@pytest.mark.parametrize("level", ["village", "town", "county"])
def test_nobody_marks_a_case_paid_by_hand(case: Case, users: dict[str, Any], level: str) -> None:
    for state in ("accepted", "demolished"):
        put(case, state)
        assert take(users[level], case, "pay")
        assert Case.objects.get(pk=case.pk).state == state


def test_the_main_path_is_the_domains() -> None:
    """Each state of the domain's sequence is reached from the one before it by some step."""
    machine = REGISTRY["renovation.case"]
    assert set(MAIN_PATH) | {"rejected"} == set(machine.states)
    skips = {("structure_done", "completed"): ("started",), ("demolished", "paid"): ("accepted",)}
    for before, after in itertools.pairwise(MAIN_PATH):
        sources = machine.sources_of(after)
        assert before in sources or any(s in sources for s in skips.get((before, after), ())), (before, after)
    assert machine.initial == "application" and machine.final == {"archived", "rejected"}
    assert str(machine.label("village_notice")) == "村级公示中" and str(machine.label("paid")) == "补助已拨付"


def test_the_banks_confirmation_pays_through_the_pay_step_naming_the_importer(
    village_user: Any,
    town_user: Any,
    county_user: Any,
    dangerous: Any,
    craftsman: Any,
    appraiser_user: Any,
    trained_appraiser: Any,
) -> None:
    """Payment is a step of the same machine: the importer of the bank file is its actor; a rebuild whose old
    house still stands (应拆尽拆) is not paid."""
    import datetime as dt

    from audit.models import AuditEvent
    from renovation.tests.fixtures import accepted_repair

    case = services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    case = accepted_repair(case, village_user, town_user, county_user, craftsman, appraiser_user, trained_appraiser)
    Case.objects.filter(pk=case.pk).update(mode="rebuild_onsite")  # set-up: a rebuild, accepted, not demolished
    today = dt.date.today()
    assert services.mark_paid_many(cases=Case.objects.filter(pk=case.pk), on=today, actor=county_user) == 0
    Case.objects.filter(pk=case.pk).update(mode="repair")
    assert services.mark_paid_many(cases=Case.objects.filter(pk=case.pk), on=today, actor=county_user) == 1
    paid = Case.objects.get(pk=case.pk)
    event = paid.events.last()
    assert paid.state == "paid" and paid.paid_on == today and paid.version == case.version + 1
    assert event is not None and event.action == "pay" and event.actor == county_user and event.from_state == "accepted"
    assert AuditEvent.objects.filter(verb="renovation.pay", actor_id=county_user.pk).count() == 1
    assert services.mark_paid_many(cases=Case.objects.filter(pk=case.pk), on=today, actor=county_user) == 0  # once
