import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from households import idnumber
from households import validation as v
from households.idnumber import check_char


def valid_id() -> str:
    first17 = "610826" + "19700101" + "123"
    return first17 + check_char(first17)


EXCEL_LOST = idnumber.excel_lost_digits()


@pytest.mark.parametrize(
    "raw",
    [
        float(valid_id()[:-1] + "0"),  # a number cell: 16th digit on lost
        float(valid_id()),
        int(valid_id()[:15] + "000"),
        float("1234567890123456"),  # 16 digits
        "6.10826E+17",
        "6.10826e17",
        "６．１０８２６Ｅ＋１７",
        "6,10826E+17",
        "610826197506010000",  # the number, as text: digits 16-18 are Excel's zeros
        " 610826 197506010000 ",
    ],
)
def test_a_number_excel_has_damaged_is_refused_with_the_one_message(raw):
    with pytest.raises(v.FieldError) as refused:
        v.id_number(raw)
    assert refused.value.message == EXCEL_LOST
    assert refused.value.field == "head_id"


def test_fifteen_digit_number_stored_by_excel_as_number_still_converts():
    ident = v.id_number(float("610826700101123"))
    assert ident.converted_from_15


@given(st.text(alphabet=" \t\u3000", max_size=3), st.text(alphabet=" \t\u3000", max_size=3))
def test_stray_spaces_never_change_a_phone(left, right):
    assert v.phone(f"{left}139 1234 5678{right}") == "13912345678"


@given(st.integers(min_value=1, max_value=30))
def test_full_width_digits_read_as_numbers(n):
    full = "".join(chr(ord(c) + 0xFEE0) for c in str(n))
    assert v.family_size(full) == n


@given(st.text(max_size=20))
def test_family_size_either_cleans_or_explains(raw):
    try:
        assert 1 <= v.family_size(raw) <= 30
    except v.FieldError as exc:
        assert "家庭人口" in exc.message


def test_future_year_is_rejected():
    with pytest.raises(v.FieldError, match="晚于今年"):
        v.year_built(dt.date.today().year + 1)


def test_choice_accepts_name_or_code_and_lists_options():
    options = {"土木": "earth_timber", "砖混": "brick_concrete"}
    assert v.choice("土木", "s", "结构形式", options) == "earth_timber"
    assert v.choice("brick_concrete", "s", "结构形式", options) == "brick_concrete"
    with pytest.raises(v.FieldError, match="可选：土木、砖混"):
        v.choice("木头", "s", "结构形式", options)


def test_choices_split_on_chinese_separators():
    options = {"农村低保户": "minimum_income", "建档立卡贫困户": "registered_poor"}
    assert v.choices("农村低保户、建档立卡贫困户", "c", "类别", options) == ["minimum_income", "registered_poor"]
    assert v.choices("农村低保户，农村低保户", "c", "类别", options) == ["minimum_income"]


def test_boolean_reads_chinese_yes_no():
    assert v.boolean("是", "f", "x", False) is True
    assert v.boolean("否", "f", "x", True) is False
    assert v.boolean("", "f", "x", True) is True
    with pytest.raises(v.FieldError):
        v.boolean("也许", "f", "x", True)


def test_numbers_with_their_units_and_dates_for_years():
    assert v.family_size("3人") == 3 and v.family_size("４口") == 4
    assert v.integer("2层", "storeys", "层数", 1, 10, units=("层",)) == 2
    assert v.decimal("87.5㎡", "floor_area", "建筑面积", Decimal(1), Decimal(5000), units=v.AREA_UNITS) == Decimal("87.50")
    assert v.decimal("120平方米", "floor_area", "建筑面积", Decimal(1), Decimal(5000), units=v.AREA_UNITS) == Decimal("120.00")
    assert v.year_built("1985年") == 1985 and v.year_built(dt.datetime(1992, 6, 1)) == 1992 and v.year_built(1978.0) == 1978
    with pytest.raises(v.FieldError, match="不是数字"):
        v.family_size("三人")
    with pytest.raises(v.FieldError, match="不是数字"):
        v.family_size("人")


def test_mobile_numbers_written_with_dashes_or_spaces():
    assert v.phone("138-1234-5678") == "13812345678" and v.phone("138 1234 5678") == "13812345678"
    assert v.phone("0912-5621234") == "0912-5621234"
    with pytest.raises(v.FieldError, match="格式不正确"):
        v.phone("138-1234-567")


def test_an_unknown_choice_names_the_entries_it_may_stand_for():
    options = {"农村低保户": "minimum_income", "低保户（2021年前）": "minimum_income_old", "一般农户": "general"}
    with pytest.raises(v.FieldError, match="是否指：农村低保户、低保户（2021年前）？"):
        v.choice("低保户", "c", "农户类别", options)
    with pytest.raises(v.FieldError, match="是否指：一般农户？"):
        v.choice("一般农户家庭", "c", "农户类别", options)
    with pytest.raises(v.FieldError, match="可选：农村低保户、低保户（2021年前）、一般农户"):
        v.choice("五保户", "c", "农户类别", options)  # similar-looking, but another thing: the whole list
