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
