"""What each line under a ledger's header is, and the households of a ledger kept one row per person
(stage 4 of exchange.ledger).

A line is a household's (or a person's) unless it is plainly something else, and then it is skipped
and reported with the reason (`SkippedRow`): a blank line, a total (合计/小计/总计), a footer
(制表人、审核人、填报日期、单位（盖章）、联系电话, 备注：…, 注：…), the header printed again, or a single
text with nothing in the name and ID columns (a title between blocks). **A line that holds an ID
number is never skipped**: it is checked as data, and refused with its reasons if it is wrong.

A ledger kept one row per person has a 与户主关系 column (`relation`). Its lines are grouped into
households by 户编号 (`household_no`), else by the head's ID number in a column of its own
(`head_ref`), else as consecutive lines from a 户主 line (a sheet whose first person line is not a
户主 line is refused whole: its heads may come last, and no member can be told its household).
In such a ledger the name and ID columns (`head_name`, `head_id`) hold each line's own person; the
head is the line whose relation is 户主, exactly one per household, else the household is refused
with the reason on every one of its lines.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from exchange.household_columns import LOOKUP, normalise_header

Line = tuple[int, list[object]]  # 1-based line in its sheet, the cells as read

HEAD = "head"  # the relation code of the head (codetables.seed)
PERSON_KEYS = ("relation",)  # a mapped column of these makes a sheet one row per person
GROUP_KEYS = ("household_no", "head_ref")  # what groups a person's line with its household, in this order

TOTAL = re.compile(r"^(本页|本表|全村|全镇|全乡|全县|本村|本镇|本乡|本组|.{1,12}?)?(合计|小计|总计)(\(.{0,10}\))?:?$")
TOTAL_LABEL = re.compile(r"^(本页|本表|全村|全镇|全乡|全县|本村|本镇|本乡|本组)?(合计|小计|总计):?$")
COUNT = re.compile(r"^\d{1,6}(\.\d+)?(户|人|个)?$")  # what a total may hold in the name and ID columns beside its label
FOOTER_WORDS = (
    "制表人", "制表单位", "制表日期", "制表:", "填表人", "填表日期", "填报人", "填报日期", "填报单位", "审核人", "审核:",
    "审批人", "负责人", "统计人", "经办人", "单位(盖章)", "(盖章)", "盖章:", "联系电话", "备注:", "注:", "说明:",
)  # fmt: skip
ID_LIKE = re.compile(r"\d{15}|\d{17}[\dX]|\d(\.\d+)?E\+?1[4-7]")


def _plain(cell: object) -> str:
    """The cell's text in half-width, without spaces (“单位（盖章）：” → “单位(盖章):”)."""
    if cell is None:
        return ""
    if type(cell) is float and cell != cell:
        return ""
    return "".join(unicodedata.normalize("NFKC", str(cell)).split()).upper()


def has_id_number(cells: list[object]) -> bool:
    """Anything in the line that may be an ID number: 15 or 18 digits, or a number Excel made of one."""
    for cell in cells:
        if type(cell) is float or type(cell) is int:
            if abs(cell) >= 1e14:
                return True
        elif type(cell) is str and len(cell) >= 15 and ID_LIKE.search(_plain(cell)):
            return True
    return False


@dataclass(frozen=True)
class Columns:
    """The columns a sheet's lines are judged by (0-based; None where the sheet has none)."""

    name: int | None
    ident: int | None

    @classmethod
    def of(cls, mapping: dict[int, str]) -> Columns:
        by_field = {f: i for i, f in mapping.items()}
        return cls(by_field.get("head_name"), by_field.get("head_id"))

    def looks_like_data(self, cells: list[object]) -> bool:
        """The fast answer for almost every line: its ID cell holds something as long as an ID number
        that starts with a digit, or a number as large (a total's count in that column is not one)."""
        i = self.ident
        if i is None or i >= len(cells):
            return False
        cell = cells[i]
        if type(cell) is str:
            return len(cell) >= 15 and cell.lstrip()[:1].isdigit()
        return (type(cell) is float or type(cell) is int) and abs(cell) >= 1e14


def skip_reason(cells: list[object], columns: Columns) -> str | None:
    """Why a line under the header is not a household's, or None when it is (or may be) one."""
    if columns.looks_like_data(cells):
        return None
    texts = [_plain(c) for c in cells]
    filled = [(i, t) for i, t in enumerate(texts) if t]
    if not filled:
        return _("空行")
    if has_id_number(cells):
        return None
    first = filled[0][1]
    if first.startswith(FOOTER_WORDS):
        return _("表尾（%(t)s）") % {"t": str(cells[filled[0][0]]).strip()[:30]}
    person = {columns.name, columns.ident} - {None}
    if any(TOTAL.match(t) for _i, t in filled) and all(
        i not in person or TOTAL_LABEL.match(t) or COUNT.match(t) for i, t in filled
    ):
        return _("合计行")  # a label, numbers beside it, nothing in the name and ID columns but a label or a count
    keys = {LOOKUP.get(normalise_header(c)) for c in cells}
    if {"head_name", "head_id"} <= keys:
        return _("重复的表头")
    if len(filled) == 1 and filled[0][0] not in person:
        return _("标题或说明行（%(t)s）") % {"t": str(cells[filled[0][0]]).strip()[:30]}
    return None


def person_layout(mapping: dict[int, str]) -> bool:
    return any(f in PERSON_KEYS for f in mapping.values())


def group_key(cell: object) -> str:
    """A 户编号 or a head's ID number as a grouping key: 12 and 12.0 and “12 ” are the same household."""
    if type(cell) is float and cell.is_integer():
        return str(int(cell))
    return _plain(cell)


@dataclass
class Household:
    """The lines of one household of a ledger kept one row per person, in file order."""

    key: str  # the 户编号 or head's ID it was grouped by ("" for consecutive lines)
    lines: list[Line]
    relations: list[str | None]  # each line's relation code (None where it is blank or unknown)
    # consecutive lines of a sheet whose first person line is not a 户主 line: the line, else 0. Its
    # heads may come last in each household, so no line can be told its household: all are refused.
    unordered: int = 0

    @property
    def heads(self) -> list[Line]:
        return [line for line, rel in zip(self.lines, self.relations, strict=True) if rel == HEAD]


def relation_code(cell: object, relations: dict[str, str]) -> str | None:
    text = _plain(cell)
    return relations.get(text) if text else None


def group_households(lines: Iterable[Line], mapping: dict[int, str], relations: dict[str, str]) -> list[Household]:
    """A sheet's person lines as households: by the first grouping column the sheet has, in order of
    each household's first line; without one, each 户主 line starts a household. A sheet without one
    whose first line is not a 户主 line may keep its heads last: every household of it is marked
    `unordered` (and refused), as its members cannot be told from the next household's."""
    by_field = {f: i for i, f in mapping.items()}
    relation_col = by_field["relation"]
    key_col = next((by_field[k] for k in GROUP_KEYS if k in by_field), None)
    households: list[Household] = []
    keyed: dict[str, Household] = {}
    for line, cells in lines:
        relation = relation_code(cells[relation_col] if relation_col < len(cells) else None, relations)
        if key_col is not None:
            key = group_key(cells[key_col] if key_col < len(cells) else None)
            found = keyed.get(key) if key else None
            if found is None:
                found = Household(key, [], [])
                households.append(found)
                if key:
                    keyed[key] = found
        elif relation == HEAD or not households:
            found = Household("", [], [])
            households.append(found)
        else:
            found = households[-1]
        found.lines.append((line, cells))
        found.relations.append(relation)
    if key_col is None and households and households[0].relations[0] != HEAD:
        first = households[0].lines[0][0]
        for household in households:
            household.unordered = first
    return households


def layout_name(mapping: dict[int, str]) -> str:
    """The layout a county's saved mapping records (ColumnMapping.layout): "person" or "household"."""
    return "person" if person_layout(mapping) else "household"
