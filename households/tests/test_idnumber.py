import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from households.idnumber import IdNumberError, check_char, clean, parse

TODAY = dt.date(2026, 11, 24)
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
areas = st.from_regex(r"[1-6][0-9]{5}", fullmatch=True)
seqs = st.integers(min_value=0, max_value=999)


def build(area: str, born: dt.date, seq: int) -> str:
    first17 = f"{area}{born:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


def test_known_number_from_the_standard():
    # GB 11643-1999 worked example: 11010519491231002X
    assert parse("11010519491231002X", today=TODAY).value == "11010519491231002X"


@given(areas, dates, seqs)
def test_every_well_formed_number_is_accepted_with_its_birth_date_and_sex(area, born, seq):
    ident = parse(build(area, born, seq), today=TODAY)
    assert ident.birth_date == born
    assert ident.sex == ("M" if seq % 2 else "F")
    assert not ident.converted_from_15


@given(areas, dates, seqs, st.integers(min_value=0, max_value=10))
def test_any_wrong_check_character_is_rejected(area, born, seq, shift):
    good = build(area, born, seq)
    chars = "0123456789X"
    wrong = chars[(chars.index(good[-1]) + 1 + shift % 10) % 11]
    with pytest.raises(IdNumberError, match=r"校验位不符|Excel") as refused:  # Excel: when it ends in 000
        parse(good[:-1] + wrong, today=TODAY)
    assert ("Excel" in str(refused.value)) == (good[-3:-1] + wrong == "000")


@given(areas, dates, seqs)
def test_lowercase_x_full_width_and_spaces_are_cleaned(area, born, seq):
    good = build(area, born, seq)
    messy = " " + good[:6] + "\u3000" + good[6:].replace("X", "x")
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in messy)
    assert parse(full_width, today=TODAY).value == good


@given(areas, st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)), seqs)
def test_fifteen_digit_numbers_convert_and_are_flagged(area, born, seq):
    old = f"{area}{born:%y%m%d}{seq:03d}"
    ident = parse(old, today=TODAY)
    assert ident.value == build(area, born, seq)
    assert ident.converted_from_15


@pytest.mark.parametrize(
    "raw, message",
    [
        ("61082619680230123X", "不是真实的日期"),
        ("610826" + "20301012" + "1234", "晚于今天"),
        ("6108261968", "应为 18 位"),
        ("61082619680512A234", "前 17 位须为数字"),
        ("", "不能为空"),
    ],
)
def test_impossible_numbers_are_rejected_in_chinese(raw, message):
    with pytest.raises(IdNumberError, match=message):
        parse(raw, today=TODAY)


def test_clean_leaves_nothing_but_the_characters():
    assert clean(" ６１０８２６ x ") == "610826X"


@given(st.from_regex(r"[0-9]{17}", fullmatch=True))
def test_check_character_follows_the_standard_digit_by_digit(first17):
    # GB 11643-1999: weight of the i-th digit from the right (check character i = 1) is 2^(i-1) mod 11
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    assert check_char(first17) == "10X98765432"[total % 11]


@pytest.mark.parametrize("digit", ["\u0663", "\u09ea"])  # Arabic-Indic 3, Bengali 4 (NFKC keeps them)
def test_digits_of_other_scripts_are_refused_not_misread(digit):
    good = build("610826", dt.date(1968, 5, 12), 123)
    with pytest.raises(IdNumberError, match=r"须为数字|只能由数字"):
        parse(good[:10] + digit + good[11:], today=TODAY)
    with pytest.raises(IdNumberError, match="只能由数字"):
        parse("610826680512" + digit + "23", today=TODAY)
