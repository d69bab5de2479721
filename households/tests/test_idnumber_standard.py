"""ID numbers against GB 11643-1999 (domain 9), with the standard's numbers written out.

The expectations are literal numbers in the standard's format (address code, birth date YYYYMMDD,
sequence with odd = male, check character), their check characters worked by hand from the
standard's weights, and the 15-to-18 conversion of old numbers; nothing is computed with
households.idnumber's own weights or check table.
"""

from __future__ import annotations

import datetime as dt

import pytest

from households.idnumber import IdNumberError, age_on, check_char, clean, parse

TODAY = dt.date(2026, 11, 24)

# GB 11643-1999: S = Σ dᵢ·wᵢ over the first 17 digits, check = "10X98765432"[S mod 11].
STANDARD_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
STANDARD_CHECK = "10X98765432"

# (number, birth date, sex): one number for each of the eleven check characters, and the
# standard's own examples (北京朝阳 1949-12-31 female; 广东汕头 1880-01-01 male).
KNOWN = [
    ("11010519491231002X", dt.date(1949, 12, 31), "F"),
    ("440524188001010014", dt.date(1880, 1, 1), "M"),
    ("610826196805121001", dt.date(1968, 5, 12), "F"),
    ("61082619680512101X", dt.date(1968, 5, 12), "M"),
    ("610826196805121028", dt.date(1968, 5, 12), "F"),
    ("610826196805121036", dt.date(1968, 5, 12), "M"),
    ("610826196805121044", dt.date(1968, 5, 12), "F"),
    ("610826196805121052", dt.date(1968, 5, 12), "M"),
    ("610826196805121060", dt.date(1968, 5, 12), "F"),
    ("610826196805121079", dt.date(1968, 5, 12), "M"),
    ("610826196805121087", dt.date(1968, 5, 12), "F"),
    ("610826196805121095", dt.date(1968, 5, 12), "M"),
    ("610826196805121183", dt.date(1968, 5, 12), "F"),
    ("610826200002290046", dt.date(2000, 2, 29), "F"),
    ("35010219800101555X", dt.date(1980, 1, 1), "M"),
]

# Old 15-digit numbers: "19" goes in after the address code, then the check character is computed.
FIFTEEN = [
    ("110105491231002", "11010519491231002X", dt.date(1949, 12, 31), "F"),
    ("130503670401001", "130503196704010016", dt.date(1967, 4, 1), "M"),
    ("610826680512123", "610826196805121239", dt.date(1968, 5, 12), "M"),
    ("610826551001018", "610826195510010182", dt.date(1955, 10, 1), "F"),
]


# Excel keeps 15 significant digits: digits 16-18 of a number typed into a number cell become 0.
EXCEL_LOST = (
    "身份证号已被 Excel 改动：Excel 把它当作数字，只保留前 15 位，后几位已丢失（变成 0 或显示为科学计数法）。"
    "请把该列设为“文本”格式，对照身份证重新录入完整号码。"
)


def by_hand(first17: str) -> str:
    return STANDARD_CHECK[sum(int(d) * w for d, w in zip(first17, STANDARD_WEIGHTS, strict=True)) % 11]


def test_the_known_numbers_are_worked_by_hand_from_the_standard() -> None:
    assert {number[-1] for number, _, _ in KNOWN} == set("0123456789X")
    for number, _, _ in KNOWN:
        assert by_hand(number[:17]) == number[17]


@pytest.mark.parametrize("number, born, sex", KNOWN)
def test_a_number_of_the_standard_is_read_with_its_birth_date_and_sex(number: str, born: dt.date, sex: str) -> None:
    assert check_char(number[:17]) == number[17]
    ident = parse(number, today=TODAY)
    assert ident == (number, born, sex, False)
    assert ident.converted_from_15 is False


@pytest.mark.parametrize("number, born, sex", KNOWN)
def test_every_other_check_character_is_refused_and_none_is_suggested(number: str, born: dt.date, sex: str) -> None:
    """Issue 13: a clerk who copies a suggested check character stores a number that belongs to
    nobody, or to somebody else; the message names no character at all."""
    for wrong in "0123456789X":
        if wrong == number[17]:
            continue
        with pytest.raises(IdNumberError) as refused:
            parse(number[:17] + wrong, today=TODAY)
        if (number[:17] + wrong).endswith("000"):  # what Excel leaves: refused as damaged
            assert str(refused.value) == EXCEL_LOST
        else:
            assert str(refused.value) == "身份证号校验位不符，号码中至少有一位有误。请对照身份证逐位核对后重新录入。"


@pytest.mark.parametrize("number, born, sex", KNOWN)
def test_a_number_excel_left_with_three_zeros_is_refused_as_damaged(number: str, born: dt.date, sex: str) -> None:
    damaged = number[:15] + "000"
    if by_hand(damaged[:17]) == "0":  # 1 in 11: the damage happens to fit the check; nothing can tell
        assert parse(damaged, today=TODAY).value == damaged
        return
    with pytest.raises(IdNumberError) as refused:
        parse(damaged, today=TODAY)
    assert str(refused.value) == EXCEL_LOST


def test_the_issue_number_is_refused_as_damaged_and_a_real_number_ending_in_zeros_is_kept() -> None:
    with pytest.raises(IdNumberError) as refused:
        parse("610826197506010000", today=TODAY)
    assert str(refused.value) == EXCEL_LOST
    assert "7" not in str(refused.value)  # the issue's hint was “最后一位应为 7”
    assert by_hand("61082619680512100") == "1"  # so 61082619680512100 + "0" fails its check
    with pytest.raises(IdNumberError) as refused:
        parse("610826196805121000", today=TODAY)  # ends in 000, check would be 1: damaged, not repaired
    assert str(refused.value) == EXCEL_LOST
    with pytest.raises(IdNumberError) as refused:
        parse("610826196805121090", today=TODAY)  # not 000 at the end: an ordinary mismatch
    assert str(refused.value).startswith("身份证号校验位不符")


@pytest.mark.parametrize("old, new, born, sex", FIFTEEN)
def test_an_old_fifteen_digit_number_becomes_its_eighteen_digit_form(old: str, new: str, born: dt.date, sex: str) -> None:
    assert by_hand(new[:17]) == new[17]
    ident = parse(old, today=TODAY)
    assert (ident.value, ident.birth_date, ident.sex) == (new, born, sex)
    assert ident.converted_from_15 is True  # flagged for review
    assert parse(new, today=TODAY).converted_from_15 is False


def test_a_fifteen_digit_number_is_digits_only_and_its_date_real() -> None:
    for bad in ("11010549123100X", "11010549123100x", "١١٠١٠٥٤٩١٢٣١٠٠٢"):
        with pytest.raises(IdNumberError) as refused:
            parse(bad, today=TODAY)
        assert str(refused.value) == "15 位身份证号只能由数字组成"
    with pytest.raises(IdNumberError) as refused:
        parse("110105490231002", today=TODAY)
    assert str(refused.value) == "出生日期 19490231 不是真实的日期"
    assert parse("１１０１０５ ４９１２３１ ００２", today=TODAY).value == "11010519491231002X"


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("11010519491231002x", "11010519491231002X"),
        ("11010519491231002X", "11010519491231002X"),
        (" 110105 19491231 002x\t", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
        ("\u3000110105\u300019491231002X\n", "11010519491231002X"),
        ("abc", "ABC"),
        ("", ""),
        (12345, "12345"),
    ],
)
def test_cleaning_makes_full_width_and_spaced_numbers_plain(raw: object, cleaned: str) -> None:
    assert clean(raw) == cleaned  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["", "   ", "\u3000", "\t\n"])
def test_an_empty_number_is_refused(raw: str) -> None:
    with pytest.raises(IdNumberError) as refused:
        parse(raw, today=TODAY)
    assert str(refused.value) == "身份证号不能为空"


@pytest.mark.parametrize("raw", ["1", "1101051949123100", "11010519491231002", "11010519491231002X1", "1101051949123100" * 2])
def test_a_number_of_another_length_is_refused_with_its_length(raw: str) -> None:
    with pytest.raises(IdNumberError) as refused:
        parse(raw, today=TODAY)
    assert str(refused.value) == f"身份证号应为 18 位，实际 {len(raw)} 位"


@pytest.mark.parametrize(
    "raw",
    [
        "1101051949123100XX",
        "11010519491231002Y",
        "11010519491231A02X",
        "X10105194912310020",
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic digits are digits, but not the standard's
        "11010519491231002-",
    ],
)
def test_seventeen_digits_and_a_digit_or_x_are_required(raw: str) -> None:
    with pytest.raises(IdNumberError) as refused:
        parse(raw, today=TODAY)
    assert str(refused.value) == "身份证号前 17 位须为数字，最后一位为数字或 X"


def with_check(first17: str) -> str:
    return first17 + by_hand(first17)


@pytest.mark.parametrize(
    "first17, message",
    [
        ("61082619490231002", "出生日期 19490231 不是真实的日期"),
        ("61082619491301002", "出生日期 19491301 不是真实的日期"),
        ("61082619490001002", "出生日期 19490001 不是真实的日期"),
        ("61082620010229002", "出生日期 20010229 不是真实的日期"),
        ("61082600000101002", "出生日期 00000101 不是真实的日期"),
        ("61082620261125002", "出生日期 2026-11-25 晚于今天"),
        ("61082630000101002", "出生日期 3000-01-01 晚于今天"),
        ("61082618791231001", "出生日期 1879-12-31 早于 1880 年"),
        ("61082610000101001", "出生日期 1000-01-01 早于 1880 年"),
    ],
)
def test_an_impossible_future_or_too_early_birth_date_is_refused(first17: str, message: str) -> None:
    with pytest.raises(IdNumberError) as refused:
        parse(with_check(first17), today=TODAY)
    assert str(refused.value) == message


def test_the_limits_of_the_birth_date_are_accepted() -> None:
    assert parse(with_check("61082620261124002"), today=TODAY).birth_date == TODAY  # born today
    assert parse(with_check("61082618800101001"), today=TODAY).birth_date == dt.date(1880, 1, 1)


def test_without_a_day_given_the_birth_date_is_judged_against_today() -> None:
    yesterday = dt.date.today() - dt.timedelta(days=1)
    assert parse(with_check(f"610826{yesterday:%Y%m%d}002")).birth_date == yesterday
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(IdNumberError, match="晚于今天"):
        parse(with_check(f"610826{tomorrow:%Y%m%d}002"))


@pytest.mark.parametrize(
    "born, day, age",
    [
        (dt.date(1968, 5, 12), dt.date(2026, 5, 11), 57),
        (dt.date(1968, 5, 12), dt.date(2026, 5, 12), 58),
        (dt.date(1968, 5, 12), dt.date(2026, 5, 13), 58),
        (dt.date(1968, 5, 31), dt.date(2026, 6, 1), 58),
        (dt.date(1968, 5, 12), dt.date(2026, 4, 30), 57),
        (dt.date(1968, 12, 31), dt.date(2026, 1, 1), 57),
        (dt.date(2000, 2, 29), dt.date(2026, 2, 28), 25),
        (dt.date(2000, 2, 29), dt.date(2026, 3, 1), 26),
        (dt.date(1968, 5, 12), dt.date(1968, 5, 12), 0),
    ],
)
def test_age_counts_whole_years_to_the_birthday(born: dt.date, day: dt.date, age: int) -> None:
    assert age_on(born, day) == age
