"""Properties of the keyed hash, without a database: any change to any chained field, or another
key, gives another hash; the legacy hash is not the keyed one."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from audit import keys
from audit.models import CHAINED_FIELDS, chain_hash, legacy_hash

text = st.text(max_size=6)
event = st.fixed_dictionaries(
    {f: text for f in CHAINED_FIELDS}
    | {
        "at": st.datetimes(timezones=st.just(dt.UTC)),
        "actor_id": st.none() | st.integers(),
        "archive_id": st.none() | st.integers(),
        "success": st.booleans(),
        "after": st.none() | st.dictionaries(text, st.integers() | text, max_size=3),
    }
)
master = st.binary(min_size=32, max_size=32)


@given(event, st.sampled_from(CHAINED_FIELDS), text)
def test_any_edit_of_a_chained_field_changes_the_hash(values, field, new):
    edited = values | {field: new if field != "at" else values["at"] + dt.timedelta(microseconds=1)}
    if edited[field] != values[field]:
        assert chain_hash(edited) != chain_hash(values)


@given(event, master, master)
def test_only_the_key_gives_the_hash(values, one, other):
    if one != other:
        assert chain_hash(values, keys.make_key(one)) != chain_hash(values, keys.make_key(other))
    assert chain_hash(values, keys.make_key(one)) != legacy_hash(values)
