"""Races tried as two officials at once (real transactions; meant for PostgreSQL, also run on SQLite):
the same case published on two notices at once, and an objection recorded while the town reviews."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.roles import Role
from conftest import make_user
from core.errors import ConflictError
from renovation import notices, services
from renovation.models import Case, CaseEvent, Notice
from renovation.tests.fixtures import TODAY

pytestmark = pytest.mark.django_db(transaction=True)


def at_once(*calls: Callable[[], Any]) -> list[str]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            call()
            outcomes.append("done")
        except (ValidationError, ConflictError) as exc:
            outcomes.append("refused")
            assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc)), exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


def test_two_village_notices_at_once_publish_one(village_user: Any, dangerous: Any) -> None:
    case = services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    services.transition(actor=village_user, case_id=case.pk, action="village_review")
    other = make_user("sd_village2", village_user.region_id, Role.VILLAGE_CADRE)

    def publish(actor: Any) -> Callable[[], Any]:
        return lambda: notices.publish(actor=actor, level="village", scope=case.region_code, case_ids=[case.pk], start_date=TODAY)

    assert at_once(publish(village_user), publish(other)) == ["done", "refused"]
    assert Notice.objects.count() == 1 and CaseEvent.objects.filter(case=case, action="village_notice").count() == 1
    assert Case.objects.get(pk=case.pk).state == "village_notice"


def test_an_objection_and_a_return_at_once_leave_no_buried_objection(village_user: Any, town_user: Any, dangerous: Any) -> None:
    case = services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    services.transition(actor=village_user, case_id=case.pk, action="village_review")
    notices.publish(actor=village_user, level="village", scope=case.region_code, case_ids=[case.pk], start_date=TODAY)
    at_once(
        lambda: notices.record_objection(actor=village_user, case_id=case.pk, content="该户在县城有商品房"),
        lambda: services.transition(actor=town_user, case_id=case.pk, action="return", comment="材料不全"),
    )
    case.refresh_from_db()
    open_objections = case.objections.filter(resolved=False).count()
    # either the objection came first and holds the case on notice, or the return came first and no objection was taken
    assert (case.state, case.on_hold, open_objections) in (("village_notice", True, 1), ("application", False, 0))
