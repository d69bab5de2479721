"""An import in real transactions: on PostgreSQL each chunk is written on a second thread while the
next is checked (core.overlap); on SQLite one after another. Either way the chunks commit in file
order, and a chunk that fails stops the import with the earlier chunks kept and nothing after it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from audit.models import AuditEvent
from audit.services import verify_chain
from core import overlap
from core.context import ActionContext, acting
from exchange import household_import
from exchange.tests.test_import import row, write_xlsx
from households import services
from households.models import Household

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = "甲乙丙丁戊己庚辛壬癸"


def test_chunks_commit_in_order_with_their_audit(county_user: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(household_import, "CHUNK", 3)
    rows = [row(600 + n, name="田" + NAMES[n]) for n in range(10)]
    rows.insert(4, row(600, name="田重"))  # the ID number of the first row again: rejected while reading
    path = write_xlsx(tmp_path / "a.xlsx", rows)
    assert overlap.can_overlap() == (connection.vendor == "postgresql")
    committed: list[int] = []
    cpus = os.sched_getaffinity(0)
    with acting(ActionContext(source="import", ip="10.0.0.8")):
        parsed = household_import.parse_file(path, "a.xlsx", county_user)
        totals = household_import.run(parsed, user=county_user, on_commit=lambda delta, n: committed.append(delta.created))
    assert totals.as_dict() == {"rows": 11, "created": 10, "updated": 0, "unchanged": 0, "rejected": 1}
    assert os.sched_getaffinity(0) == cpus  # the import's thread is free to run on every CPU again
    assert committed == [3, 3, 3, 1]
    assert [r.line for r in totals.rejected_rows] == [8] and "重复" in totals.rejected_rows[0].errors[0]
    # ids follow the file: each chunk committed after the one before it
    names = list(Household.objects.order_by("id").values_list("head_name", flat=True))
    assert names == ["田" + NAMES[n] for n in range(10)]
    events = AuditEvent.objects.filter(verb__startswith="household.create").order_by("id")
    assert events.count() == 4 and {e.ip for e in events} == {"10.0.0.8"}  # the writer thread acts for the same person
    assert verify_chain().ok


def test_a_failing_chunk_keeps_the_earlier_ones_and_writes_nothing_after(
    county_user: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(household_import, "CHUNK", 2)
    path = write_xlsx(tmp_path / "a.xlsx", [row(700 + n, name="田" + NAMES[n]) for n in range(7)])
    original = services.write_plan
    calls = {"n": 0}

    def failing_second(plan: services.Plan) -> list[services.Outcome]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("磁盘已满")
        return original(plan)

    monkeypatch.setattr(household_import, "write_plan", failing_second)
    parsed = household_import.parse_file(path, "a.xlsx", county_user)
    with pytest.raises(RuntimeError, match="磁盘已满"):
        household_import.run(parsed, user=county_user)
    assert calls["n"] == 2
    assert sorted(Household.objects.values_list("head_name", flat=True)) == ["田乙", "田甲"]
    assert all(h.houses.count() == 1 and h.categories.count() == 1 for h in Household.objects.all())
    assert verify_chain().ok


def test_an_error_while_checking_lets_the_chunk_in_flight_finish(county_user: Any, tmp_path: Path, monkeypatch: Any) -> None:
    """The main thread fails planning the third chunk while the second is being written: the second
    still commits whole (it is a prefix of the file), nothing after it is written, and the import
    resumes from there."""
    monkeypatch.setattr(household_import, "CHUNK", 2)
    path = write_xlsx(tmp_path / "a.xlsx", [row(800 + n, name="田" + NAMES[n]) for n in range(7)])
    original = household_import.plan_households
    calls = {"n": 0}

    def failing_third(**kwargs: Any) -> services.Plan:
        calls["n"] += 1
        if calls["n"] == 3:
            raise MemoryError("内存不足")
        return original(**kwargs)

    monkeypatch.setattr(household_import, "plan_households", failing_third)
    parsed = household_import.parse_file(path, "a.xlsx", county_user)
    with pytest.raises(MemoryError):
        household_import.run(parsed, user=county_user)
    assert sorted(Household.objects.values_list("head_name", flat=True)) == ["田丁", "田丙", "田乙", "田甲"]
    monkeypatch.setattr(household_import, "plan_households", original)
    totals = household_import.run(household_import.parse_file(path, "a.xlsx", county_user), user=county_user, skip_valid=4)
    assert totals.created == 3 and Household.objects.count() == 7
    assert verify_chain().ok
