"""Values as clerks write them (issue 13): dates in a ledger's many spellings, and ID numbers that
Excel has damaged. Property tests (Hypothesis) of households.validation's parsers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from households import validation as v
from households.idnumber import excel_lost_digits

TODAY = dt.date.today()
DAY, MONTH, YEAR = v.Precision.DAY, v.Precision.MONTH, v.Precision.YEAR
FIRST_SERIAL_DAY = dt.date(1927, 5, 19)  # serial 10001: the first number read as an Excel date

# Worked out from Excel's own dates, not from the module: 1900-03-01 is serial 61, 2021-05-01 is 44317.
assert dt.date(1900, 3, 1) - dt.timedelta(days=61) == dt.date(1899, 12, 30)


def serial(day: dt.date) -> int:
    return 44317 + (day - dt.date(2021, 5, 1)).days


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# (format name, precision written, how the clerk wrote it)
FORMATS: list[tuple[str, v.Precision, Callable[[dt.date], object]]] = [
    ("2021年5月3日", DAY, lambda d: f"{d.year}年{d.month}月{d.day}日"),
    ("2021年05月03日", DAY, lambda d: f"{d.year}年{d.month:02d}月{d.day:02d}日"),
    ("2021/5/3", DAY, lambda d: f"{d.year}/{d.month}/{d.day}"),
    ("2021-05-03", DAY, lambda d: f"{d:%Y-%m-%d}"),
    ("2021-05-03 00:00:00", DAY, lambda d: f"{d:%Y-%m-%d} 00:00:00"),
    ("2021.5.3", DAY, lambda d: f"{d.year}.{d.month}.{d.day}"),
    ("20210503", DAY, lambda d: f"{d:%Y%m%d}"),
    ("20210503 as a number", DAY, lambda d: int(f"{d:%Y%m%d}")),
    ("date object", DAY, lambda d: d),
    ("datetime object", DAY, lambda d: dt.datetime(d.year, d.month, d.day, 14, 30)),
    ("full-width", DAY, lambda d: full_width(f"{d:%Y-%m-%d}")),
    ("2021.05", MONTH, lambda d: f"{d.year}.{d.month:02d}"),
    ("2021年5月", MONTH, lambda d: f"{d.year}年{d.month}月"),
    ("2021年5月份", MONTH, lambda d: f"{d.year}年{d.month}月份"),
    ("2021-05", MONTH, lambda d: f"{d.year}-{d.month:02d}"),
    ("2021/5", MONTH, lambda d: f"{d.year}/{d.month}"),
    ("202105", MONTH, lambda d: f"{d.year}{d.month:02d}"),
    ("2021", YEAR, lambda d: str(d.year)),
    ("2021年", YEAR, lambda d: f"{d.year}年"),
    ("2021 as a number", YEAR, lambda d: d.year),
    ("2021.0 as a number cell", YEAR, lambda d: float(d.year)),
]
SERIALS: list[tuple[str, Callable[[dt.date], object]]] = [
    ("serial", serial),
    ("serial cell", lambda d: float(serial(d))),
    ("serial with a time", lambda d: serial(d) + 0.75),
    ("serial as text", lambda d: str(serial(d))),
]

dates = st.dates(min_value=dt.date(v.EARLIEST_YEAR, 1, 1), max_value=TODAY)


def written(day: dt.date, precision: v.Precision) -> v.PartialDate:
    return v.PartialDate(day.year, day.month if precision >= MONTH else None, day.day if precision >= DAY else None)


@pytest.mark.parametrize("name, precision, write", FORMATS, ids=[f[0] for f in FORMATS])
@given(day=dates)
def test_every_format_round_trips_to_what_it_was_made_from(name, precision, write, day):
    raw = write(day)
    assert v.partial_date(raw, keep=DAY) == written(day, precision)
    assert v.partial_date(raw, keep=YEAR) == (day.year, None, None)
    assert v.year_built(raw) == day.year


@pytest.mark.parametrize("name, write", SERIALS, ids=[s[0] for s in SERIALS])
@given(day=st.dates(min_value=FIRST_SERIAL_DAY, max_value=TODAY))
def test_an_excel_date_number_is_its_day(name, write, day):
    assert v.partial_date(write(day), keep=DAY) == (day.year, day.month, day.day)
    assert v.year_built(write(day)) == day.year


@given(day=dates)
def test_year_dot_month_as_a_number_cell_and_as_text(day):
    """2021.5 is May whether typed as text or as a number; 2021.1 is January or October (a number
    cell shows 2021.10 as 2021.1): refused when the month is kept, the year kept regardless."""
    for raw in (f"{day.year}.{day.month}", float(f"{day.year}.{day.month:02d}"), float(f"{day.year}.{day.month}")):
        shown = repr(raw) if isinstance(raw, float) else raw
        if shown.endswith(".1"):
            with pytest.raises(v.FieldError) as refused:
                v.partial_date(raw, "year_built", "建造年份", keep=MONTH)
            assert "有歧义" in refused.value.message and f"{day.year}年1月" in refused.value.message
            assert f"{day.year}年10月" in refused.value.message
        else:
            assert v.partial_date(raw, keep=MONTH) == (day.year, day.month, None)
        assert v.year_built(raw) == day.year


def test_the_issue_s_dates_are_read():
    assert v.year_built("2021.5") == 2021 and v.year_built("2021年5月") == 2021
    assert v.partial_date("2021.5") == (2021, 5, None) and v.partial_date("2021年5月") == (2021, 5, None)
    assert v.partial_date("2021.10") == (2021, 10, None)  # text keeps its zero
    assert v.partial_date(2021.1, keep=YEAR) == (2021, None, None)
    with pytest.raises(v.FieldError, match="有歧义"):
        v.partial_date(2021.1, keep=MONTH)


@given(year=st.integers(min_value=v.EARLIEST_YEAR, max_value=TODAY.year))
def test_a_whole_number_from_1800_to_this_year_is_a_year_never_a_serial(year):
    for raw in (year, float(year), str(year)):
        assert v.partial_date(raw) == (year, None, None)


@given(day=st.dates(min_value=TODAY + dt.timedelta(days=1), max_value=dt.date(2150, 12, 31)))
def test_a_date_in_the_future_is_refused(day):
    for _name, precision, write in FORMATS:
        raw = write(day)
        if precision == YEAR and day.year == TODAY.year:
            continue  # this year is not the future
        if precision == MONTH and (day.year, day.month) == (TODAY.year, TODAY.month):
            continue
        with pytest.raises(v.FieldError, match="晚于"):
            v.partial_date(raw)


def test_impossible_and_too_early_dates_are_refused_in_chinese():
    for raw, reason in [
        ("2021-02-30", "不是真实的日期"),
        ("2021-13", "不是真实的日期"),
        ("2021年0月", "不是真实的日期"),
        ("2021.13", "不是真实的日期"),
        ("1750", "早于 1800 年"),
        ("20210532", "不是真实的日期"),
        ("2021.123", "不是可识别的日期"),
        ("五月", "不是可识别的日期"),
        ("2021-5/3", "不是可识别的日期"),
        (True, "不是可识别的日期"),
        (-2021, "不是可识别的日期"),
        (10000, "不是可识别的日期"),
        (float("inf"), "不是可识别的日期"),
        (dt.time(10, 0), "不是可识别的日期"),
    ]:
        with pytest.raises(v.FieldError, match=reason) as refused:
            v.partial_date(raw, "year_built", "建造年份")
        assert refused.value.field == "year_built" and refused.value.message.startswith("建造年份")


def test_empty_is_nothing_unless_required_and_a_day_is_asked_for_where_one_is_needed():
    assert v.partial_date("") is None and v.partial_date(None) is None and v.partial_date(float("nan")) is None
    assert v.year_built(" ") is None
    with pytest.raises(v.FieldError, match="不能为空"):
        v.partial_date("", required=True)
    assert v.full_date("2021/5/3", "d", "日期") == dt.date(2021, 5, 3)
    with pytest.raises(v.FieldError, match="没有写到日"):
        v.full_date("2021年5月", "d", "日期")
    with pytest.raises(v.FieldError, match="请写到月"):
        v.partial_date("2021", need=MONTH)


cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.decimals(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
    st.text(),
    st.from_regex(r"\s*\d{0,9}([./\-年]\d{0,3}([./\-月]\d{0,3}[日号]?)?)?( \d\d:\d\d(:\d\d)?)?\s*", fullmatch=True),
)


@given(raw=cells, keep=st.sampled_from(list(v.Precision)), need=st.sampled_from(list(v.Precision)))
def test_no_input_raises_anything_but_a_field_error(raw, keep, need):
    assume(need <= keep)
    try:
        found = v.partial_date(raw, "d", "日期", keep=keep, need=need)
    except v.FieldError as exc:
        assert exc.field == "d" and exc.message.startswith("日期")
        return
    if found is not None:
        assert found.precision <= keep and found.precision >= need
        assert v.EARLIEST_YEAR <= found.year <= TODAY.year and found.first_day() <= TODAY


# --- ID numbers Excel has damaged ----------------------------------------------------------------

CHECK_MISMATCH = "身份证号校验位不符，号码中至少有一位有误。请对照身份证逐位核对后重新录入。"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643-1999


def standard_check(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


digits15 = st.from_regex(r"[1-9][0-9]{14}", fullmatch=True)  # an area code never starts with 0


@given(first15=digits15)
def test_any_number_ending_in_000_that_fails_its_check_is_refused_as_excel_damage(first15):
    number = first15 + "000"
    assume(standard_check(number[:17]) != "0")
    for raw in (number, float(number), int(number), f" {number[:6]} {number[6:]} ", full_width(number)):
        with pytest.raises(v.FieldError) as refused:
            v.id_number(raw)
        assert refused.value.message == excel_lost_digits()


@given(first17=st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_no_refusal_of_a_check_character_suggests_one(first17):
    """The message for a wrong check character is the same whatever the number: it can name no digit."""
    right = standard_check(first17)
    messages = set()
    for wrong in "0123456789X":
        if wrong == right:
            continue
        try:
            v.id_number(first17 + wrong)
        except v.FieldError as exc:
            messages.add(exc.message)
            assert "应为" not in exc.message and "最后一位" not in exc.message
    damaged = first17.endswith("00")
    assert messages <= {CHECK_MISMATCH, excel_lost_digits()} or not _birth_ok(first17)
    if _birth_ok(first17) and not damaged:
        assert messages == {CHECK_MISMATCH}


def _birth_ok(first17: str) -> bool:
    try:
        born = dt.date(int(first17[6:10]), int(first17[10:12]), int(first17[12:14]))
    except ValueError:
        return False
    return dt.date(1880, 1, 1) <= born <= TODAY


@given(number=st.integers(min_value=10**15, max_value=10**18 - 1))
def test_a_number_cell_of_sixteen_digits_or_more_is_refused_as_excel_damage(number):
    for raw in (float(number), number, f"{float(number):.5E}", f"{float(number):E}".lower()):
        with pytest.raises(v.FieldError) as refused:
            v.id_number(raw)
        assert refused.value.message == excel_lost_digits()


@given(raw=st.one_of(st.text(max_size=25), st.integers(), st.floats(), st.decimals(), st.booleans(), st.none()))
def test_id_number_raises_nothing_but_a_field_error_and_never_a_hint(raw):
    try:
        v.id_number(raw)
    except v.FieldError as exc:
        assert "最后一位应为" not in exc.message and "应为 X" not in exc.message


def test_a_decimal_value_is_text_to_the_id_parser():
    with pytest.raises(v.FieldError):
        v.id_number(Decimal("6.10826E+17"))


# --- the forms read the same way -----------------------------------------------------------------


def test_the_household_and_house_pages_take_a_build_date_as_clerks_write_it(client, county_user):
    from django.urls import reverse

    from conftest import SUIDE_VILLAGE, make_id
    from households.forms import HouseForm
    from households.models import Household

    client.force_login(county_user)
    post = {"village": SUIDE_VILLAGE, "head_name": "贺兰", "head_id": make_id(seq=78), "family_size": "2",
            "structure_type": "brick_concrete", "year_built": "2021年5月", "only_house": "on"}  # fmt: skip
    response = client.post(reverse("households:new"), post)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Household.objects.get().houses.get().year_built == 2021
    house = HouseForm({"year_built": "2019.5", "use": "self_occupied", "is_occupied": "on"})
    assert house.is_valid(), house.errors
    assert house.cleaned_data["year_built"] == 2019
    future = HouseForm({"year_built": f"{TODAY.year + 1}.3", "use": "self_occupied"})
    assert not future.is_valid() and "晚于" in str(future.errors["year_built"])
