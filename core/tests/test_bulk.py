import gc
from typing import Any

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.bulk import bulk_gc, copy_text_encoder, row_encoder


def test_bulk_gc_collects_rarely_and_restores_the_collector() -> None:
    before = gc.get_threshold()
    with bulk_gc():
        assert gc.get_threshold()[0] == before[0] * 100
        assert gc.get_freeze_count() > 0  # what was alive before is left out of the scans
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_bulk_gc_restores_the_collector_after_an_error() -> None:
    before = gc.get_threshold()
    try:
        with bulk_gc():
            raise ValueError
    except ValueError:
        pass
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


int_rows = st.lists(st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=4), max_size=8)


@pytest.mark.django_db
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(int_rows)
def test_rows_are_encoded_as_psycopgs_own_adapters_encode_them(row: list[Any]) -> None:
    """The import's COPY lines (ints dumped without choosing a size) are the lines psycopg's
    default adapters make."""
    if connection.vendor != "postgresql":
        pytest.skip("COPY text is PostgreSQL's")
    from psycopg import adapt

    connection.ensure_connection()
    assert row_encoder()(row) == copy_text_encoder(adapt.Transformer(connection.connection))(row)
