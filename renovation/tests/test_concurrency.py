"""Two people approving the same case at the same moment: one approval, one refusal (real transactions)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.roles import Role
from conftest import make_user
from renovation import services
from renovation.models import CaseEvent
from renovation.tests.fixtures import through_notices

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_approvals_at_once_leave_one(county_user: Any, town_user: Any, village_user: Any, dangerous: Any) -> None:
    case = services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    through_notices(case, village_user, town_user, county_user)
    services.transition(actor=county_user, case_id=case.pk, action="return", comment="重新核实")
    services.transition(actor=village_user, case_id=case.pk, action="village_review")
    # bring it to the county's approval again without waiting: the notices above are already over
    second = make_user("sd_county2", "610826", Role.COUNTY_STAFF)
    services.Case.objects.filter(pk=case.pk).update(state="town_notice")
    approvals_before = CaseEvent.objects.filter(case=case, action="county_approve").count()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(actor: Any) -> None:
        try:
            barrier.wait()
            services.transition(actor=actor, case_id=case.pk, action="county_approve", comment=actor.username)
            outcomes.append("approved")
        except ValidationError as exc:
            outcomes.append("refused: " + "；".join(exc.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (county_user, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.split(":")[0] for o in outcomes) == ["approved", "refused"], outcomes
    assert CaseEvent.objects.filter(case=case, action="county_approve").count() == approvals_before + 1
    case.refresh_from_db()
    assert case.state == "county_approved"
