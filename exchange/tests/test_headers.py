"""The header block of a county's ledger and each column's proposed field (exchange.ledger.headers).

The findings of issue 13: a header with 乡镇 / 村 / 家庭人口 merged over two rows, or written
家庭人口（人）, made every row fail; 开户行, 一卡通号 and 建筑面积（平方米） were dropped unsaid. The
property tests build header blocks as clerks make them (parent rows, merged cells filled or not, units,
widths, spaces, `*`, title rows, a row of column numbers) over data rows with ID numbers, and hold the
reader to the block they built: every header found and proposed as the catalogue says, no header row
taken as data and no data row as header."""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import make_id
from exchange.household_columns import BY_KEY, COLUMNS, LOOKUP, normalise_header
from exchange.ledger.headers import catalogue_field, find_header, header_key, numbers_row, propose

ID = make_id(seq=501)


def fields(headers: list[str], saved: dict[str, str] | None = None) -> list[str | None]:
    return [c.field for c in propose(headers, saved)]


def test_a_two_row_header_with_cells_merged_down_and_units_is_read_whole() -> None:
    """The finding: 乡镇 / 村 / 家庭人口 merged over two rows (read_sheets fills them down) and 家庭人口（人）."""
    rows = [
        ["绥德县名州镇农村住房安全台账"] * 7,  # a title merged across, filled across
        ["序号", "乡镇", "村", "户主信息", "户主信息", "家庭人口（人）", "建筑面积（平方米）"],
        ["序号", "乡镇", "村", "姓名", "身份证号", "家庭人口（人）", "建筑面积（平方米）"],
        [1, 2, 3, 4, 5, 6, 7],
        [1, "名州镇", "五一村", "张三", ID, 3, 80.5],
    ]
    block = find_header(rows)
    assert block is not None
    assert (block.start, block.height, block.end) == (2, 3, 4)  # the column numbers are part of the block
    assert block.title == "绥德县名州镇农村住房安全台账"
    assert fields(block.headers) == [None, "town", "village", "head_name", "head_id", "family_size", "floor_area"]


def test_a_csv_parent_written_over_its_first_column_and_a_members_name_is_not_the_heads() -> None:
    rows = [
        ["序号", "乡镇", "村", "户主信息", "", "家庭成员", "", "一卡通信息", ""],
        ["", "", "", "姓名", "身份证号", "姓名", "身份证号", "开户行", "一卡通号"],
        ["1", "名州镇", "五一村", "张三", ID, "李四", make_id(seq=502), "农商银行", "6230000011112222333"],
    ]
    block = find_header(rows)
    assert block is not None and (block.start, block.height) == (1, 2)
    assert block.headers[3:7] == ["户主信息/姓名", "户主信息/身份证号", "家庭成员/姓名", "家庭成员/身份证号"]
    columns = propose(block.headers)
    expected = [None, "town", "village", "head_name", "head_id", None, None, "bank_name", "bank_account"]
    assert [c.field for c in columns] == expected
    assert columns[0].source == "ignored" and columns[5].source == ""  # 序号 asks nothing; 家庭成员/姓名 is the official's choice


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("家庭人口（人）", "family_size"),
        ("人口数（人）", "family_size"),
        ("建筑面积（平方米）", "floor_area"),
        ("建筑面积(㎡)", "floor_area"),
        ("面积/m²", "floor_area"),
        ("房屋建筑面积", "floor_area"),
        ("住房面积", "floor_area"),
        ("建房年代", "year_built"),
        ("联系电话", "phone"),
        ("开户行", "bank_name"),
        ("一卡通号", "bank_account"),
        ("*户主\n姓名", "head_name"),
        ("户主身份证号（18位）", "head_id"),
        ("村（社区）", "village"),
        ("乡（镇）", "town"),
        ("ＩＤ", None),
        ("户主/姓名", "head_name"),  # the whole header read as one: 户主姓名
        ("房屋/结构", "structure_type"),
        ("基本信息/姓名", "head_name"),
        ("配偶/姓名", None),
        ("家庭成员/身份证号", None),
    ],
)
def test_headers_real_ledgers_write(header: str, key: str | None) -> None:
    assert catalogue_field(header) == key


def test_no_alias_names_two_fields() -> None:
    seen: dict[str, set[str]] = {}
    for column in COLUMNS:
        for alias in (column.header, *column.aliases):
            seen.setdefault(normalise_header(alias), set()).add(column.key)
    assert {alias: keys for alias, keys in seen.items() if len(keys) > 1} == {}


def test_a_field_two_columns_fit_goes_to_neither_and_both_are_marked() -> None:
    columns = propose(["户主姓名", "姓名", "身份证号", "开户行", "开户银行"])
    assert [c.field for c in columns] == [None, None, "head_id", None, None]
    assert [(c.source, c.proposed) for c in columns if c.field is None] == [
        ("conflict", "head_name"), ("conflict", "head_name"), ("conflict", "bank_name"), ("conflict", "bank_name"),
    ]  # fmt: skip


def test_the_countys_saved_choice_comes_first_even_not_to_import() -> None:
    saved = {header_key("承租人"): "head_name", header_key("联系电话"): "", header_key("户主姓名"): "note"}
    assert fields(["承租人", "身份证号", "联系电话", "户主姓名"], saved) == ["head_name", "head_id", None, "note"]
    # a saved field that no longer exists is not taken: the catalogue answers
    assert fields(["户主姓名"], {header_key("户主姓名"): "no_such_field"}) == ["head_name"]
    # and a header only the county's mapping names is found by it
    assert find_header([["承租人", "证件"], ["张三", ID]]) is None
    block = find_header([["承租人", "证件"], ["张三", ID]], {header_key("承租人"): "head_name", header_key("证件"): "head_id"})
    assert block is not None and block.start == 1


def test_header_keys_ignore_width_spaces_and_marks_but_keep_units() -> None:
    assert header_key("户主 姓名*") == header_key("户主姓名") == header_key("＊户主\n姓名")
    assert header_key("户主信息/户主信息/姓名") == "户主信息/姓名"  # a cell merged down, read twice, once
    assert header_key("面积（主房）") != header_key("面积（附房）")


def test_title_and_footer_like_lines_above_are_the_title() -> None:
    rows = [
        ["名州镇2021年农村住房安全保障台账"],
        ["填报单位：名州镇人民政府", None, None, "填报日期：2026年3月"],
        [],
        ["户主姓名", "身份证号", "家庭人口"],
        ["张三", ID, "3"],
    ]
    block = find_header(rows)
    assert block is not None and block.start == 4 and block.height == 1
    assert block.title == "名州镇2021年农村住房安全保障台账 填报单位：名州镇人民政府 填报日期：2026年3月"


def test_no_header_in_the_first_rows() -> None:
    assert find_header([["a", "b"], [1, 2]]) is None
    assert find_header([["户主姓名", "家庭人口"], ["张三", 3]]) is None  # no ID number column
    assert find_header([[ID, "张三"], ["户主姓名", "身份证号"]]) is not None  # a data-like row above is skipped


def test_column_numbers() -> None:
    assert numbers_row([1, 2, 3, 4]) and numbers_row(["", "1", "2", "3"]) and numbers_row(["(1)", "(2)", "(3)"])
    assert not numbers_row([1, 3, 4]) and not numbers_row([1, 2]) and not numbers_row(["1", "张三", "3"])


# -- properties -------------------------------------------------------------------------------------

HEAD_PARENT = "户主信息"
PARENTS = ("房屋情况", "账户信息", "基本情况", "其他情况")
UNITS = ("（人）", "(人)", "（平方米）", "(㎡)", "/m²", "（元）", " (单位：间)")
FULL = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters + string.digits + "()/"})
KEYS = [c.key for c in COLUMNS]


@st.composite
def decorated(draw: st.DrawFn, key: str) -> str:
    column = BY_KEY[key]
    text = draw(st.sampled_from((column.header, *column.aliases)))
    if draw(st.booleans()):
        text += draw(st.sampled_from(UNITS))
    if draw(st.booleans()):
        text = text.translate(FULL)
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from((" ", "\n", "　", " \n "))) + text[at:]
    if draw(st.booleans()):
        text = draw(st.sampled_from(("*", "＊"))) + text if draw(st.booleans()) else text + "*"
    return text


@st.composite
def ledgers(draw: st.DrawFn) -> dict[str, Any]:
    """A ledger's first rows as a clerk made them, with what the reader must find in them."""
    others = draw(st.lists(st.sampled_from([k for k in KEYS if k not in ("head_name", "head_id")]), unique=True, max_size=8))
    keys = draw(st.permutations(["head_name", "head_id", *others]))
    numbered = draw(st.booleans())  # a 序号 column first
    headers = [draw(decorated(k)) for k in keys]
    two_rows = draw(st.booleans())
    filled = draw(st.booleans())  # merged cells filled down and across (read_sheets) or as a CSV has them
    first_row: list[object] = []
    second_row: list[object] = []
    if numbered:
        first_row.append("序号")
        second_row.append("序号" if filled else "")
    n, standalone_first = 0, not numbered
    while n < len(keys):
        size = draw(st.integers(1, 3)) if two_rows and not standalone_first else 0
        group = list(range(n, min(n + size, len(keys))))
        if group:
            heads = {keys[i] in ("head_name", "head_id") for i in group}
            parent = HEAD_PARENT if True in heads else draw(st.sampled_from(PARENTS))
            for j, i in enumerate(group):
                first_row.append(parent if filled or j == 0 else "")
                second_row.append(headers[i])
            n += len(group)
        else:
            first_row.append(headers[n])
            second_row.append(headers[n] if filled else "")
            n += 1
        standalone_first = False
    block = [first_row, second_row] if two_rows else [first_row]
    if len(first_row) >= 3 and draw(st.booleans()):  # (two numbers alone could be a row's values)
        numbers = list(range(1, len(first_row) + 1))
        block.append(numbers if draw(st.booleans()) else [str(i) for i in numbers])
    titles = draw(st.lists(st.sampled_from([
        ["绥德县名州镇农村住房安全保障台账"], ["填报单位：名州镇", None, "填报日期：2021年5月"], [], ["2021年度农户住房统计表"],
    ]), max_size=2))  # fmt: skip
    width = len(first_row)
    head_id = (1 if numbered else 0) + keys.index("head_id")
    data = []
    for seq in range(draw(st.integers(1, 4))):
        cells = draw(st.lists(st.sampled_from(["名州镇", "五一村", "张三", "3", 3, 62.5, "是", "砖混", "", None]),
                              min_size=width, max_size=width))  # fmt: skip
        cells[head_id] = draw(st.sampled_from([make_id(seq=700 + seq), float(make_id(seq=700 + seq)[:17] + "0")]))
        data.append(cells)
    expected = ([None] if numbered else []) + keys
    return {"rows": titles + block + data, "start": len(titles) + 1, "height": len(block), "fields": expected}


@given(ledgers())
def test_any_catalogue_header_in_any_dress_is_found_and_proposed_as_the_catalogue_says(ledger: dict[str, Any]) -> None:
    block = find_header(ledger["rows"])
    assert block is not None
    assert (block.start, block.height) == (ledger["start"], ledger["height"])  # no header row is data, no data row header
    assert fields(block.headers) == ledger["fields"]


@given(ledgers())
def test_the_same_header_is_proposed_the_same_from_a_saved_mapping_of_itself(ledger: dict[str, Any]) -> None:
    """A county that confirmed the proposal gets the same columns next time, from its saved mapping."""
    block = find_header(ledger["rows"])
    assert block is not None
    saved = {header_key(c.header): c.field or "" for c in propose(block.headers) if c.header}
    assert find_header(ledger["rows"], saved) == block
    assert fields(block.headers, saved) == ledger["fields"]


@given(st.sampled_from(sorted(LOOKUP)), st.sampled_from(UNITS))
def test_every_alias_with_a_unit_is_its_field(alias: str, unit: str) -> None:
    assert catalogue_field(alias + unit) == LOOKUP[alias]
