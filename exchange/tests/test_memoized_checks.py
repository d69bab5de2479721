"""The import remembers each column check's answer per cell (exchange.household_import.memoized):
the answers must be the check's own, whatever order and types the cells come in."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchange.household_import import AREA_RANGE, memoized
from households import validation as v

CHECKS = {
    "boolean": lambda r: v.boolean(r, "only_house", "是否一户一宅", True),
    "family_size": v.family_size,
    "year_built": v.year_built,
    "storeys": lambda r: v.integer(r, "storeys", "层数", 1, 10, units=("层",)),
    "floor_area": lambda r: v.decimal(r, "floor_area", "建筑面积", *AREA_RANGE, units=v.AREA_UNITS),
    "name": lambda r: v.name(r, "head_name", "户主姓名"),
    "choices": lambda r: v.choices(r, "categories", "农户类别", {"一般农户": "general", "低保户": "minimum_income"}),
    "text": v.text,
}

# cells as readers give them: 1, 1.0, True and "1" are equal or alike but are different cells
cells = st.one_of(
    st.sampled_from([1, 1.0, True, "1", 0, 0.0, False, "0", "是", "否", "３", "3人", "2005", 2005, 2005.0, "87.5平方米",
                     "87.50", None, "", " ", "张三", "张 三", "张3", "一般农户、低保户", "低保户", "other", float("nan"),
                     dt.date(1998, 5, 1), dt.datetime(2001, 1, 1, 8, 0)]),
    st.text(max_size=6),
    st.integers(-5, 3000),
)  # fmt: skip


def outcome(check, cell):
    try:
        return "ok", check(cell)
    except v.FieldError as exc:
        return "error", (exc.field, exc.message)


@pytest.mark.parametrize("name", CHECKS)
@given(st.lists(cells, max_size=30))
def test_a_memoized_check_answers_as_the_check_itself(name, sequence):
    check = CHECKS[name]
    remembered = memoized(check, limit=8)  # small, so the cache is also cleared on the way
    for cell in sequence + sequence:
        expected, got = outcome(check, cell), outcome(remembered, cell)
        if cell != cell:  # NaN
            assert got == expected or (expected[0] == got[0] == "ok" and got[1] != got[1])
            continue
        assert got == expected, (cell, got, expected)
        assert type(got[1]) is type(expected[1]), cell


def test_cells_equal_in_python_but_of_different_types_are_checked_apart():
    boolean = memoized(CHECKS["boolean"])
    assert boolean(True) is True  # “True” is one of the words for yes
    assert boolean(1) is True
    with pytest.raises(v.FieldError, match=r"“1\.0”"):
        boolean(1.0)  # a float cell is not a yes (it is what the check itself says)
    area = memoized(CHECKS["floor_area"])
    assert area("87.5") == Decimal("87.50")


def test_a_rejection_is_raised_each_time_and_lists_are_the_callers_own():
    name = memoized(CHECKS["name"])
    for _ in range(2):
        with pytest.raises(v.FieldError, match="含有数字"):
            name("张3")
    choices = memoized(CHECKS["choices"])
    first = choices("低保户")
    first.append("general")
    assert choices("低保户") == ["minimum_income"]


def test_a_check_of_several_cells_remembers_them_together():
    calls = []

    def resolve(code, town, village):
        calls.append((code, town, village))
        return f"{code}-{town}-{village}"

    remembered = memoized(resolve)
    assert remembered("610826", None, "郭家沟村") == "610826-None-郭家沟村"
    assert remembered("610826", None, "郭家沟村") == "610826-None-郭家沟村"
    assert remembered("610826", "", "郭家沟村") == "610826--郭家沟村"
    assert remembered(610826.0, None, "郭家沟村") == "610826.0-None-郭家沟村"
    assert len(calls) == 3
