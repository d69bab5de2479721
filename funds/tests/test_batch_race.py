"""Two disbursement batches made at the same moment (finding 12): both read the same highest batch
number. Each must end as a batch with its own number, or as a clear 409, never a server error.
Real transactions on PostgreSQL; SQLite takes its write lock at BEGIN, so two writers cannot race."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.db.models.query import QuerySet
from django.test import Client

from conftest import token_for
from funds.models import DisbursementBatch, Payment
from funds.tests.test_money import two_accepted  # noqa: F401 (fixture)
from renovation.models import Case

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a race of two transactions needs PostgreSQL"),
]


@pytest.fixture
def same_maximum(monkeypatch: Any) -> threading.Barrier:
    """Hold each thread after its first read of the batch numbers until the other has read too, so
    both compute the same max + 1 (what two clicks at the same moment do)."""
    barrier = threading.Barrier(2, timeout=20)
    seen: set[int] = set()
    original = QuerySet.aggregate

    def aggregate(self: QuerySet[Any], *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        if self.model is DisbursementBatch and threading.get_ident() not in seen:
            seen.add(threading.get_ident())
            barrier.wait()
        return result

    monkeypatch.setattr(QuerySet, "aggregate", aggregate)
    return barrier


def run_together(*posts: dict[str, Any], user: Any) -> list[tuple[int, dict[str, Any]]]:
    key = token_for(user)
    answers: list[tuple[int, dict[str, Any]]] = []

    def post(body: dict[str, Any]) -> None:
        try:
            response = Client(HTTP_AUTHORIZATION=f"Token {key}").post("/api/batches/", body, content_type="application/json")
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(body,)) for body in posts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return answers


def test_two_batches_at_once_get_numbers_one_and_two(
    two_accepted: list[Case],  # noqa: F811
    county_user: Any,
    same_maximum: threading.Barrier,
) -> None:
    year = two_accepted[0].year
    bodies = [{"county": "610826", "year": year, "cases": [case.pk]} for case in two_accepted]
    answers = run_together(*bodies, user=county_user)
    assert sorted(status for status, _ in answers) == [201, 201], answers
    assert sorted(DisbursementBatch.objects.values_list("number", flat=True)) == [1, 2]
    assert Payment.objects.count() == 2


def test_the_same_cases_twice_at_once_make_one_batch_and_a_409(
    two_accepted: list[Case],  # noqa: F811
    county_user: Any,
    same_maximum: threading.Barrier,
) -> None:
    """A dishonest or impatient user double-submits: one batch pays each case once; the other is told why."""
    year = two_accepted[0].year
    answers = run_together({"county": "610826", "year": year}, {"county": "610826", "year": year}, user=county_user)
    assert sorted(status for status, _ in answers) == [201, 409], answers
    refused = next(body for status, body in answers if status == 409)
    assert "已在另一批次中拨付" in refused["detail"]
    assert DisbursementBatch.objects.count() == 1 and Payment.objects.count() == 2
