from hypothesis import given
from hypothesis import strategies as st

from audit.services import batch_items, batch_payload

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))
nested = st.dictionaries(st.sampled_from(["a", "b", "c"]), scalars, min_size=1)
item = st.fixed_dictionaries({"id": st.integers()}, optional={"name": scalars, "dwelling": nested, "size": scalars})


@given(st.lists(item, min_size=1, max_size=6))
def test_batch_items_give_back_each_item(items):
    back = batch_items(batch_payload(items))
    assert back is not None and len(back) == len(items)
    for original, restored in zip(items, back, strict=True):
        # keys another item has come back as None; nested dicts likewise
        for key, value in original.items():
            if isinstance(value, dict):
                assert {k: v for k, v in restored[key].items() if k in value} == value
            else:
                assert restored[key] == value


def test_other_payloads_are_not_batches():
    assert batch_items({"head_name": "郝建国"}) is None
    assert batch_items(None) is None


json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8
)


@given(before=st.none() | st.dictionaries(st.text(max_size=4), json_values, max_size=4), after=json_values)
def test_the_hash_is_the_same_whether_after_comes_encoded_or_not(before, after):
    """The writer encodes before/after once (JSONText) and the verifier hashes the stored values:
    both must give the same hash."""
    import datetime as dt

    from audit.models import CHAINED_FIELDS, canonical_json, chain_hash
    from core.bulk import JSONText

    at = dt.datetime(2026, 11, 25, 8, 0, 0, 123)
    values = dict.fromkeys(CHAINED_FIELDS, "x") | {"at": at, "before": before, "after": after}
    encoded = values | {k: JSONText(canonical_json(values[k])) for k in ("before", "after") if values[k] is not None}
    assert chain_hash(encoded) == chain_hash(values)


same_shape = st.lists(
    st.fixed_dictionaries(
        {"id": st.integers(), "name": scalars, "dwelling": st.fixed_dictionaries({"a": scalars, "b": scalars}), "size": scalars}
    ),
    min_size=1,
    max_size=6,
)


@given(same_shape)
def test_a_batch_put_together_from_encoded_rows_is_its_canonical_json(items):
    """The import encodes each household's row while planning and the writer only joins them: the
    text must be exactly what encoding the whole payload gives (the chain hash is checked on it)."""
    from audit.models import canonical_json
    from audit.services import batch_row, batch_text

    columns, nested = ["name", "dwelling", "size"], {"dwelling": ["a", "b"]}
    rows = [(item["id"], batch_row(item, columns, nested)) for item in items]
    assert batch_text(["id", *columns], nested, rows) == canonical_json(batch_payload(items))
