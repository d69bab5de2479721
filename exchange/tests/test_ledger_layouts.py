"""The layouts counties keep (issue 13): ledgers built here in each shape — one row per household, one
row per person, one sheet per village, merged cells, footers and totals — each with the outcome of
every line written down before the import runs: created, rejected (why) or skipped (why)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from conftest import make_id
from exchange import household_import
from exchange.household_import import ParsedFile, Totals
from households.models import Household, Member

VILLAGES = {"五一村": "610826100200", "雕山村": "610826100201", "踊跃村": "610826100202"}


def build(path: Path, sheets: dict[str, list[list[Any]]], merges: dict[str, list[str]] | None = None,
          hidden: tuple[str, ...] = ()) -> Path:  # fmt: skip
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for r in rows:
            sheet.append(r)
        for ref in (merges or {}).get(name, []):
            sheet.merge_cells(ref)
        if name in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


Table = dict[str, tuple[str, str]]


def outcome_table(path: Path, user: Any, name: str | None = None, **kw: Any) -> tuple[Table, ParsedFile, Totals]:
    """Import the file and give each line's outcome: label -> (created | rejected | skipped, reason)."""
    parsed = household_import.parse_file(path, name or path.name, user, **kw)
    seen: list[household_import.ParsedRow] = []
    rows = parsed.rows

    def watched() -> Any:
        for r in rows:
            seen.append(r)
            yield r

    parsed.rows = watched()
    totals = household_import.run(parsed, user=user)
    rejected = {id(r) for r in totals.rejected_rows}
    table: dict[str, tuple[str, str]] = {}
    for household in seen:
        for line in household.lines:
            table[line.label] = ("rejected", "；".join(line.errors)) if id(household) in rejected else ("created", "")
    several = len(parsed.sheets) > 1
    for s in parsed.skipped:
        key = (f"{s.sheet}!{s.line}" if several else str(s.line)) if s.line else f"{s.sheet}!"
        table[key] = ("skipped", s.reason)
    return table, parsed, totals


def check(table: dict[str, tuple[str, str]], expected: dict[str, tuple[str, str]]) -> None:
    assert set(table) == set(expected), (sorted(table), sorted(expected))
    for label, (status, reason) in expected.items():
        got = table[label]
        assert got[0] == status and reason in got[1], (label, got, (status, reason))


HEADER = ["序号", "乡镇", "村", "户主姓名", "户主身份证号", "家庭人口", "结构形式", "建造年份"]


def household(n: int, name: str, seq: int, village: str = "雕山村", **over: Any) -> list[Any]:
    values = {"序号": n, "乡镇": "名州镇", "村": village, "户主姓名": name, "户主身份证号": make_id(seq=seq), "家庭人口": 3,
              "结构形式": "砖混", "建造年份": 2005}  # fmt: skip
    values.update(over)
    return [values[h] for h in HEADER]


def test_one_row_per_household_with_a_merged_village_totals_and_a_footer(county_user, tmp_path):
    rows = [
        ["名州镇农村住房安全台账"],  # 1 title, merged across
        HEADER,  # 2
        household(1, "郝建国", 1, village="五一村"),  # 3 the village merged down over 3–5
        household(2, "贺兰", 2, village=None),  # 4
        household(3, "李强", 3, village=None, **{"家庭人口": "很多"}),  # 5
        ["五一村小计", None, None, None, None, 9],  # 6
        [None] * 8,  # 7
        household(4, "王芳", 4, village=None),  # 8: a blank village that is NOT merged: never filled from above
        [None, None, None, None, None, None, None, None],  # 9
        ["合计", None, None, None, None, 12],  # 10
        ["制表人：张三", None, "审核人：李四", None, "填报日期：2026年3月"],  # 11
        ["备注：本表由村委会填报"],  # 12
        ["注：家庭人口含外出务工人员", None, None, make_id(seq=5)],  # 13 an ID number: never skipped
        ["单位（盖章）：名州镇人民政府", None, "联系电话：0912-5671234"],  # 14
    ]
    path = build(tmp_path / "台账.xlsx", {"名州镇": rows}, {"名州镇": ["A1:H1", "C3:C5"]})
    expected = {
        "1": ("skipped", "标题行"),
        "3": ("created", ""),
        "4": ("created", ""),
        "5": ("rejected", "家庭人口"),
        "6": ("skipped", "合计行"),
        "7": ("skipped", "空行"),
        "8": ("rejected", "村"),
        "9": ("skipped", "空行"),
        "10": ("skipped", "合计行"),
        "11": ("skipped", "表尾（制表人：张三）"),
        "12": ("skipped", "表尾（备注：本表由村委会填报）"),
        "13": ("rejected", "姓名"),
        "14": ("skipped", "表尾（单位（盖章）：名州镇人民政府）"),
    }
    table, _parsed, totals = outcome_table(path, county_user)
    check(table, expected)
    assert totals.skipped == 8 and totals.as_dict() == {"rows": 5, "created": 2, "updated": 0, "unchanged": 0, "rejected": 3}
    assert set(Household.objects.values_list("head_name", "region_code")) == {
        ("郝建国", VILLAGES["五一村"]), ("贺兰", VILLAGES["五一村"])}  # fmt: skip


def test_merged_cells_of_an_old_xls_are_filled_too(county_user, tmp_path):
    """The fixture was written by xlwt (Excel 97–2003): 五一村 merged over three households."""
    fixture = Path(__file__).parent / "fixtures" / "merged.xls"
    expected = {"1": ("skipped", "标题行"), "3": ("created", ""), "4": ("created", ""), "5": ("created", ""),
                "说明!": ("skipped", "没有找到表头")}  # fmt: skip
    table, _parsed, _totals = outcome_table(fixture, county_user)
    check(table, expected)
    assert set(Household.objects.values_list("region_code", flat=True)) == {VILLAGES["五一村"]}


def test_a_workbook_with_one_sheet_per_village(county_user, tmp_path):
    title = ["绥德县名州镇踊跃村农户台账"]
    sheets = {
        "填表说明": [["填表说明"], ["1. 每村一页"], ["2. 身份证号请设为文本"]],
        "雕山村": [title, HEADER, household(1, "郝建国", 11), household(2, "贺兰", 12, **{"结构形式": "茅草屋"})],
        "隐藏": [HEADER, household(1, "藏起来", 13)],
        "空白": [],
        "踊跃村": [HEADER[:1] + HEADER[3:] + HEADER[1:3], [1, "李强", make_id(seq=14), 4, "砖木", 1990, "名州镇", "踊跃村"],
                  [2, "王芳", make_id(seq=11), 2, "砖木", 1990, "名州镇", "踊跃村"]],  # its columns in another order
    }  # fmt: skip
    path = build(tmp_path / "各村.xlsx", sheets, hidden=("隐藏",))
    expected = {
        "填表说明!": ("skipped", "没有找到表头"),
        "雕山村!1": ("skipped", "标题行"),
        "雕山村!3": ("created", ""),
        "雕山村!4": ("rejected", "茅草屋"),
        "隐藏!": ("skipped", "隐藏的工作表"),
        "空白!": ("skipped", "空工作表"),
        "踊跃村!2": ("created", ""),
        "踊跃村!3": ("rejected", "与第 雕山村!3 行的身份证号重复"),  # the same person on another sheet
    }
    table, parsed, totals = outcome_table(path, county_user)
    check(table, expected)
    assert [p.sheet for p in parsed.sheets] == ["雕山村", "踊跃村"]
    assert Household.objects.get(head_name="李强").region_code == VILLAGES["踊跃村"]
    assert Household.objects.get(head_name="李强").family_size == 4

    errors = tmp_path / "errors.xlsx"
    household_import.write_errors(errors, parsed, totals.rejected_rows)
    book = CalamineWorkbook.from_path(str(errors))
    assert book.sheet_names == ["雕山村", "踊跃村"]
    first = book.get_sheet_by_index(0).to_python()
    assert first[0][0] == title[0] and first[1] == [*HEADER, "原行号", "错误原因"]
    assert first[2][:4] == ["2", "名州镇", "雕山村", "贺兰"] and first[2][-2] == 4 and "茅草屋" in first[2][-1]
    second = book.get_sheet_by_index(1).to_python()
    assert second[1][:4] == ["2", "王芳", make_id(seq=11), "2"] and second[1][-2] == 3  # its own column order


PERSON_HEADER = ["户编号", "乡镇", "村", "姓名", "身份证号", "与户主关系", "家庭人口", "结构形式"]


def person(no: Any, name: str, seq: int | None, relation: str, village: str = "雕山村", size: Any = None) -> list[Any]:
    ident = make_id(seq=seq) if seq is not None else None
    return [no, "名州镇", village, name, ident, relation, size, "砖混" if relation == "户主" else None]


def test_one_row_per_person_grouped_by_household_number(county_user, tmp_path):
    rows = [
        ["雕山村家庭成员花名册"],  # 1
        PERSON_HEADER,  # 2
        person(1, "郝建国", 21, "户主"),  # 3
        person(1, "刘秀英", 22, "配偶"),  # 4
        person(1, "郝小明", None, "子"),  # 5 a child without an ID number
        person(2, "贺兰", 23, "户主", size=5),  # 6 the family size given: kept
        person(2, "贺军", 24, "女婿"),  # 7
        person(3, "李强", 25, "子"),  # 8 no head
        person(3, "李四", 26, "父母"),  # 9
        person(4, "王芳", 27, "户主"),  # 10 two heads
        person(4, "王刚", 28, "户主"),  # 11
        person(5, "赵一", 29, "户主"),  # 12 a member's relation nobody knows
        person(5, "赵二", 30, "干儿子"),  # 13
        person(5, "赵三", 31, "女"),  # 14
        person(1, "郝小红", 32, "女"),  # 15 household 1 again, further down
        person(None, "孤零", 33, "户主"),  # 16 no household number
        ["合计", None, None, None, None, None, 11],  # 17
    ]
    path = build(tmp_path / "花名册.xlsx", {"雕山村": rows})
    expected = {
        "1": ("skipped", "标题行"),
        "3": ("created", ""), "4": ("created", ""), "5": ("created", ""), "15": ("created", ""),
        "6": ("created", ""), "7": ("created", ""),
        "8": ("rejected", "该户没有与户主关系为“户主”的行"), "9": ("rejected", "该户没有与户主关系为“户主”的行"),
        "10": ("rejected", "该户有 2 行与户主关系为“户主”（第 10、11 行）"), "11": ("rejected", "只能有一行"),
        "12": ("rejected", "同户第 13 行：与户主关系“干儿子”无法识别"),
        "13": ("rejected", "与户主关系“干儿子”无法识别"),
        "14": ("rejected", "同户第 13 行有误，整户未导入"),
        "16": ("rejected", "“户编号”为空"),
        "17": ("skipped", "合计行"),
    }  # fmt: skip
    table, parsed, totals = outcome_table(path, county_user)
    check(table, expected)
    assert totals.as_dict() == {"rows": 6, "created": 2, "updated": 0, "unchanged": 0, "rejected": 4}  # households
    hao = Household.objects.get(head_name="郝建国")
    assert hao.family_size == 4  # not given: the persons listed
    members = {m.name: (m.relation, m.id_number) for m in Member.objects.filter(household=hao)}
    assert members == {"刘秀英": ("spouse", make_id(seq=22)), "郝小明": ("son", ""), "郝小红": ("daughter", make_id(seq=32))}
    he = Household.objects.get(head_name="贺兰")
    assert he.family_size == 5 and [m.relation for m in he.members.all()] == ["son_in_law"]

    errors = tmp_path / "errors.xlsx"
    household_import.write_errors(errors, parsed, totals.rejected_rows)
    lines = CalamineWorkbook.from_path(str(errors)).get_sheet_by_index(0).to_python()
    assert [r[-2] for r in lines[2:]] == [8, 9, 10, 11, 12, 13, 14, 16]  # every line of a refused household


def test_one_row_per_person_consecutive_from_a_head_line(county_user, tmp_path):
    header = ["村", "乡镇", "姓名", "身份证号", "与户主关系"]
    rows = [
        header,  # 1
        ["雕山村", "名州镇", "张父", make_id(seq=41), "父母"],  # 2 before any head: the sheet is refused
        ["雕山村", "名州镇", "张三", make_id(seq=42), "户主"],  # 3
        [None, None, "李梅", make_id(seq=43), "配偶"],  # 4
        [None, None, "张小", make_id(seq=44), "子"],  # 5
        ["雕山村", "名州镇", "王五", make_id(seq=45), "户主"],  # 6
        [None, None, "王六", "61082619680512", "子"],  # 7 a wrong ID number refuses the household
    ]
    path = build(tmp_path / "成员.xlsx", {"Sheet1": rows})
    unordered = "户主行不在每户的第一行"  # the heads may come last: 张父 may be 张三's, 李梅 王五's (test_attack_ledgers)
    expected = {str(n): ("rejected", unordered) for n in range(2, 8)}
    table, _parsed, _totals = outcome_table(path, county_user)
    check(table, expected)
    assert not Household.objects.exists()
    rows[1:2] = []  # without the line before the first head
    path = build(tmp_path / "成员2.xlsx", {"Sheet1": rows})
    expected = {
        "2": ("created", ""), "3": ("created", ""), "4": ("created", ""),
        "5": ("rejected", "同户第 6 行："), "6": ("rejected", "身份证号"),
    }  # fmt: skip
    table, _parsed, _totals = outcome_table(path, county_user)
    check(table, expected)
    zhang = Household.objects.get(head_name="张三")
    assert zhang.family_size == 3 and sorted(zhang.members.values_list("relation", flat=True)) == ["son", "spouse"]


def test_one_row_per_person_grouped_by_the_heads_id_number(county_user, tmp_path):
    """户主身份证号 in a column of its own beside each person's 身份证号: the official maps it to 所在户户主身份证号."""
    header = ["乡镇", "村", "户主身份证号", "姓名", "身份证号", "与户主关系"]
    head1, head2 = make_id(seq=51), make_id(seq=54)
    rows = [
        header,
        ["名州镇", "雕山村", head1, "周一", head1, "户主"],  # 2
        ["名州镇", "雕山村", head2, "吴一", head2, "户主"],  # 3
        ["名州镇", "雕山村", head1, "周二", make_id(seq=52), "配偶"],  # 4 its household's lines need not be adjacent
        ["名州镇", "雕山村", make_id(seq=56), "郑一", make_id(seq=55), "户主"],  # 5 the head's ID column says someone else
    ]
    path = build(tmp_path / "归户.xlsx", {"Sheet1": rows})
    mapping = {"乡镇": "town", "村": "village", "户主身份证号": "head_ref", "姓名": "head_name", "身份证号": "head_id",
               "与户主关系": "relation"}  # fmt: skip
    expected = {"2": ("created", ""), "4": ("created", ""), "3": ("created", ""),
                "5": ("rejected", "与户主本人的身份证号不一致")}  # fmt: skip
    table, _parsed, _totals = outcome_table(path, county_user, mapping=mapping)
    check(table, expected)
    assert list(Household.objects.get(head_name="周一").members.values_list("name", flat=True)) == ["周二"]
    assert Household.objects.get(head_name="吴一").family_size == 1


def test_a_reimport_of_an_existing_household_leaves_its_members_as_they_are(county_user, tmp_path):
    rows = [PERSON_HEADER, person(1, "郝建国", 61, "户主", size=3), person(1, "刘秀英", 62, "配偶")]
    assert outcome_table(build(tmp_path / "a.xlsx", {"S": rows}), county_user)[2].created == 1
    again = [PERSON_HEADER, person(1, "郝建国", 61, "户主", size=4), person(1, "刘秀英", 62, "配偶"), person(1, "新人", 63, "子")]
    totals = outcome_table(build(tmp_path / "b.xlsx", {"S": again}), county_user)[2]
    assert totals.updated == 1
    hao = Household.objects.get(head_name="郝建国")
    assert hao.family_size == 4  # members are edited one by one: the file's new member is not added
    assert list(hao.members.values_list("name", flat=True)) == ["刘秀英"]


def test_the_corrected_error_file_imports(county_user, tmp_path):
    rows = [["名州镇台账"], ["基本信息", None, None, None, None, "房屋"], HEADER,
            household(1, "郝建国", 71), household(2, "贺兰", 72, **{"家庭人口": "五"})]  # fmt: skip
    path = build(tmp_path / "a.xlsx", {"名州镇": rows}, {"名州镇": ["A1:H1", "A2:E2", "F2:H2"]})
    table, parsed, totals = outcome_table(path, county_user)
    assert table["5"][0] == "rejected"
    errors = tmp_path / "errors.xlsx"
    household_import.write_errors(errors, parsed, totals.rejected_rows)
    book = openpyxl.load_workbook(errors)
    sheet = book["名州镇"]
    assert {str(r) for r in sheet.merged_cells.ranges} == {"A1:H1", "A2:E2", "F2:H2"}  # as they were
    assert [c.value for c in sheet[3]] == [*HEADER, "原行号", "错误原因"]
    sheet.cell(4, HEADER.index("家庭人口") + 1).value = 5  # the clerk corrects the line
    book.save(errors)
    table, parsed, totals = outcome_table(errors, county_user)
    assert {label: o for label, o in table.items() if o[0] != "skipped"} == {"4": ("created", "")}
    assert [c.field for c in parsed.sheets[0].columns[-2:]] == [None, None]  # 原行号 and 错误原因 are not imported
    assert Household.objects.get(head_name="贺兰").family_size == 5


@pytest.mark.parametrize("line", [
    ["制表人：", "张三", None, None, make_id(seq=81)],
    ["合计", "郝建国", None, None, make_id(seq=81)],
    [None, None, None, "备注：已核实", make_id(seq=81)[:17] + "0"],
    [None, None, None, None, float(make_id(seq=81)[:15] + "000")],
])  # fmt: skip
def test_a_line_with_an_id_number_is_never_skipped(line):
    from exchange.ledger.layout import Columns, skip_reason

    assert skip_reason(line, Columns(name=1, ident=4)) is None
    assert skip_reason(line, Columns(name=None, ident=None)) is None


@pytest.mark.parametrize(("line", "reason"), [
    (["合计", None, 35], "合计行"),
    (["合计", None, None, None, 35, 12], "合计行"),  # a count in the ID column is not an ID number
    (["小计", None, None, None, "35"], "合计行"),
    (["全村合计：", None, None], "合计行"),
    (["", "小计", 12], "合计行"),
    (["填报日期：2026年3月"], "表尾"),
    (["单位(盖章):"], "表尾"),
    (["　注：家庭人口含外出务工人员"], "表尾"),
    ([None, "", " "], "空行"),
    (["二组"], "标题或说明行"),
])  # fmt: skip
def test_what_is_skipped(line, reason):
    from exchange.ledger.layout import Columns, skip_reason

    assert reason in (skip_reason(line, Columns(name=3, ident=4)) or "")


@pytest.mark.parametrize("line", [
    ["合计", None, None, "王合计"],  # a name in the name column is not a label
    [None, None, None, "郝建国"],  # a name without its ID: refused, not skipped
    [None, "名州镇", "雕山村", "郝建国", "无"],
])  # fmt: skip
def test_what_is_not_skipped(line):
    from exchange.ledger.layout import Columns, skip_reason

    assert skip_reason(line, Columns(name=3, ident=4)) is None


def test_a_members_id_number_is_kept_once(county_user, tmp_path):
    """As the archive keeps it (one member per number, never the head's): refused in the file, never a
    database error at write time."""
    first = [PERSON_HEADER, person(1, "甲", 91, "户主"), person(1, "乙", 92, "配偶")]
    outcome_table(build(tmp_path / "a.xlsx", {"S": first}), county_user)
    rows = [
        PERSON_HEADER,  # 1
        person(1, "丙", 93, "户主"),  # 2
        person(1, "丙", 93, "子"),  # 3 the head's own number again
        person(2, "丁", 95, "子"),  # 4 a member line before its head, and a number used below again
        person(2, "戊", 94, "户主"),  # 5
        person(3, "己", 96, "户主"),  # 6
        person(3, "丁", 95, "子"),  # 7
        person(4, "庚", 97, "户主"),  # 8
        person(4, "乙", 92, "配偶"),  # 9 already 甲's wife in the archive
    ]
    expected = {
        "1": ("skipped", ""),
        "2": ("rejected", "同户第 3 行：与户主的身份证号相同"), "3": ("rejected", "与户主的身份证号相同"),
        "4": ("created", ""), "5": ("created", ""),
        "6": ("rejected", "同户第 7 行：与第 4 行的身份证号重复"), "7": ("rejected", "与第 4 行的身份证号重复"),
        "8": ("rejected", "同户第 9 行：该身份证号已登记为其他家庭的成员"), "9": ("rejected", "已登记为其他家庭的成员"),
    }  # fmt: skip
    table, _parsed, totals = outcome_table(build(tmp_path / "b.xlsx", {"S": rows}), county_user)
    expected.pop("1")
    check(table, expected)
    assert totals.created == 1 and Member.objects.filter(name="乙").count() == 1


def test_a_refused_household_says_each_reason_once(county_user, tmp_path):
    rows = [PERSON_HEADER, person(1, "丁", 95, "干儿子"), person(1, "戊", 94, "户主", size="很多")]
    table, _parsed, _totals = outcome_table(build(tmp_path / "a.xlsx", {"S": rows}), county_user)
    head = table["3"][1]
    assert head.count("干儿子") == 1 and "家庭人口" in head and table["2"][1].count("干儿子") == 1
