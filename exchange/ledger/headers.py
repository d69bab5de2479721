"""Finding a ledger's header and proposing each column's field (stages 2 and 3 of exchange.ledger).

A county's ledger rarely has Anju's one-row header. `find_header` reads the block a clerk made: title
rows above it (kept as its title), one header row or several (a parent over its sub-headers,
户主信息 → 姓名 | 身份证号; cells merged down or across, which reach here already filled by
`sheets.read_sheets`; in a CSV a parent written only over its first column), units in brackets
(家庭人口（人）, 建筑面积(㎡), 面积/m²), full- or half-width, spaces and line breaks inside cells, `*`
marks, and a row of column numbers (1 2 3 …) under it. A row that holds a value a header never has
(a number, a date, an ID number) is never part of the block.

`propose` gives each column a field: the county's saved choice for that header, else the catalogue's
by the whole header (户主 / 姓名 reads as 户主姓名), else by its last part (姓名 under 户主信息). A
person's name or ID number under any other parent (家庭成员 / 姓名) is not the head's: it is left for
the official to choose. A field two columns would take goes to neither: both are shown as needing a
choice (source "conflict", the field they both fit in `proposed`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections import Counter
from decimal import Decimal

from exchange.household_columns import BY_KEY, LOOKUP, normalise_header
from exchange.ledger import FileColumn, HeaderBlock, Mapping

HEADER_SCAN_ROWS = 30
MAX_HEADER_ROWS = 4  # a header block is at most this many rows (the row of column numbers aside)
SEP = "/"  # between the rows of a multi-row header in HeaderBlock.headers
REQUIRED = frozenset({"head_name", "head_id"})  # a header names at least these

# what the catalogue reads of a person only when the header is about the head of household
HEAD_FIELDS = frozenset({"head_name", "head_id"})
# parents that say nothing about whose the column is: their 姓名 is the head's in a household ledger
NEUTRAL_PARENTS = frozenset(
    normalise_header(p) for p in ("基本信息", "基本情况", "农户信息", "农户基本信息", "农户基本情况", "户基本信息", "户基本情况")
)
IGNORED = frozenset(normalise_header(p) for p in ("序号", "序", "编号", "行号", "No.", "No"))  # never imported, no question
UNIT_WORDS = frozenset(
    ("m2", "m²", "平方米", "平米", "平方", "人", "口", "元", "万元", "间", "层", "年", "户", "个", "亩", "米", "岁", "%", "位")
)
_BRACKETED = re.compile(r"\(([^()]*)\)$")
AREA_UNITS = frozenset(("m2", "平方米", "平米"))  # “㎡” and “m²” read as “m2” after NFKC
_AREA_TAIL = re.compile(r"(m2|平方米|平米|<[^<>]*>)$")
_NUMBER = re.compile(r"[-+]?\d+(\.\d+)?")
_DIGITS = re.compile(r"\d{6,}[\dxX]?")
_SCIENTIFIC = re.compile(r"\d(\.\d+)?e\+?\d+", re.IGNORECASE)
_DATE = re.compile(r"\d{4}\s*[-/.年]\s*\d{1,2}")
TITLE_ENDINGS = ("表", "台账", "清单", "名册", "明细", "汇总", "统计")


def header_key(text: str) -> str:
    """The key a header is known by in a saved mapping: the same for the same words in any width, with
    or without spaces, line breaks and `*`, and the rows of a multi-row header in order (a cell merged
    down, read twice, once). Units in brackets stay: 面积（主房） and 面积（附房） are two columns."""
    parts = [normalise_header(p) for p in str(text or "").split(SEP)]
    return SEP.join(_dedupe([p for p in parts if p]))


def _dedupe(parts: list[str]) -> list[str]:
    return [p for n, p in enumerate(parts) if n == 0 or p != parts[n - 1]]


def _unit(part: str) -> bool:
    """A part that only says a unit: 人, （人）, ㎡, (单位：平方米)."""
    inner = part[1:-1] if part.startswith("(") and part.endswith(")") else part
    inner = inner.removeprefix("单位:").removeprefix("单位")
    return inner in UNIT_WORDS


def _without_units(part: str) -> str:
    """A normalised header without the units in brackets at its end: 乡镇(单位:个) -> 乡镇."""
    while (found := _BRACKETED.search(part)) and _unit(found.group()):
        part = part[: found.start()]
    return "" if _unit(part) else part


def _catalogue(part: str) -> str | None:
    """The catalogue's field for one normalised part of a header, its units in brackets stripped one by
    one (村(社区) is an alias as it is; 家庭人口(人) is 家庭人口), else without an area's unit written
    after it bare or in <> (建筑面积㎡, 建筑面积<平方米>)."""
    found = _bracketed(part)
    if found is None and (tail := _AREA_TAIL.search(part)) and tail.start() > 0:
        unit = tail.group().strip("<>")
        if unit in AREA_UNITS:
            found = _bracketed(part[: tail.start()])
    return found


def _bracketed(part: str) -> str | None:
    while part:
        if part in LOOKUP:
            return LOOKUP[part]
        stripped = _BRACKETED.sub("", part)
        if stripped == part:
            return None
        part = stripped
    return None


def _parts(text: str) -> list[str]:
    """A header's parts, normalised, without the parts that only say a unit."""
    return [p for p in header_key(text).split(SEP) if p and not _unit(p)]


def catalogue_field(text: str) -> str | None:
    """The catalogue's field for a header (HeaderBlock.headers' text), or None."""
    parts = _parts(text)
    if not parts:
        return None
    if len(parts) > 1:
        whole = _catalogue("".join(parts))  # 户主 / 姓名 -> 户主姓名; 房屋 / 结构类型 -> 房屋结构类型
        if whole:
            return whole
    field = _catalogue(parts[-1])
    if field in HEAD_FIELDS and not all("户主" in p or p in NEUTRAL_PARENTS for p in parts[:-1]):
        return None  # 家庭成员 / 姓名 is not the head's name
    return field


def _someone_elses(text: str) -> bool:
    """A person's name or ID number under a parent that is not about the head (家庭成员 / 姓名): the
    column is a member's, also when a lower header row is read without that parent."""
    parts = _parts(text)
    return len(parts) > 1 and "户主" not in parts[-1] and _catalogue(parts[-1]) in HEAD_FIELDS and catalogue_field(text) is None


def ignored(text: str) -> bool:
    """A column no ledger imports and no official is asked about (序号)."""
    parts = _parts(text)
    return bool(parts) and parts[-1] in IGNORED


def propose(headers: list[str], saved: Mapping | None = None) -> list[FileColumn]:
    """Each column's field: the county's saved choice for that header, else the catalogue's. A field
    that two columns would take goes to neither: both are marked "conflict" with that field proposed.
    In a ledger kept one row per person (a 与户主关系 column) the name and ID columns hold each line's
    own person, under whatever parent (家庭成员 / 姓名)."""
    chosen: list[tuple[str | None, str]] = []
    for text in headers:
        key = header_key(text)
        if saved is not None and key in saved and (not saved[key] or saved[key] in BY_KEY):
            chosen.append((saved[key] or None, "saved"))
        elif field := catalogue_field(text):
            chosen.append((field, "catalogue"))
        else:
            chosen.append((None, "ignored" if ignored(text) else ""))
    if any(field == "relation" for field, _source in chosen):  # one row per person: 家庭成员 / 姓名 is each line's own
        chosen = [
            (_catalogue(_parts(text)[-1]), "catalogue") if not field and not source and _someone_elses(text) else (field, source)
            for text, (field, source) in zip(headers, chosen, strict=True)
        ]
    uses = Counter(field for field, _source in chosen if field)
    columns = []
    for index, (text, (field, source)) in enumerate(zip(headers, chosen, strict=True)):
        if field and uses[field] > 1:
            columns.append(FileColumn(index, text, None, proposed=field, source="conflict"))
        else:
            columns.append(FileColumn(index, text, field, source=source))
    return columns


# -- the header block ------------------------------------------------------------------------------


def _cell_text(cell: object) -> str:
    """A cell as a header shows it: without spaces and line breaks (“户主\\n姓名” is 户主姓名)."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return "".join(str(cell).split())


def _is_value(cell: object) -> bool:
    """A cell no header holds: a number, a date, a long run of digits (an ID number, a village code,
    Excel's 6.10826E+17)."""
    if cell is None or isinstance(cell, bool):
        return False
    if isinstance(cell, int | float | Decimal | dt.date | dt.datetime | dt.time):
        return True
    text = unicodedata.normalize("NFKC", _cell_text(cell))
    return bool(_NUMBER.fullmatch(text) or _DIGITS.search(text) or _SCIENTIFIC.fullmatch(text) or _DATE.match(text))


def numbers_row(row: list[object]) -> bool:
    """The row of column numbers some ledgers put under the header: 1 2 3 … (or ⑴, (1)) in order."""
    values = []
    for cell in row:
        text = unicodedata.normalize("NFKC", _cell_text(cell)).strip("()")
        if not text:
            continue
        if not text.isdigit():
            return False
        values.append(int(text))
    return len(values) >= 3 and values[0] in (0, 1) and all(b == a + 1 for a, b in itertools.pairwise(values))


def _texts(row: list[object]) -> list[tuple[int, str]]:
    return [(i, t) for i, c in enumerate(row) if (t := _cell_text(c))]


def _title_like(row: list[object]) -> bool:
    """A title or a line about the table (填报单位：…  填报日期：…), not a header row."""
    texts = _texts(row)
    words = {normalise_header(t) for _i, t in texts}
    if any(len(w) > 20 or ":" in _without_units(w) for w in words):
        return True
    if any(w.endswith(TITLE_ENDINGS) and len(w) >= 4 and _catalogue(w) is None for w in words):
        return True
    # one text alone, from the first column (a title merged across, or typed in A1)
    return len(words) == 1 and texts[0][0] == 0 and _catalogue(next(iter(words))) is None and not ignored(texts[0][1])


def _header_row(row: list[object]) -> bool:
    """A row that may start a header block."""
    return bool(_texts(row)) and not any(map(_is_value, row)) and not _title_like(row)


def _sub_row(row: list[object]) -> bool:
    """A row that may continue a header block: no value, and at least one header or unit the
    catalogue knows."""
    if not _header_row(row):
        return False
    return any(catalogue_field(t) or _unit(normalise_header(t)) for _i, t in _texts(row))


def combine(block: list[list[object]]) -> list[str]:
    """Per column, the header rows' texts from top to bottom joined with "/" (a text merged down, read
    twice, once). A parent written only over the first of its columns (a CSV) stands over the columns to
    its right that have a sub-header and no parent of their own."""
    width = max((len(r) for r in block), default=0)
    grid = [[_cell_text(r[c]) if c < len(r) else "" for c in range(width)] for r in block]
    height = len(grid)

    def has_sub(r: int, c: int) -> bool:
        return any(grid[k][c] for k in range(r + 1, height))

    for r in range(height - 1):
        parent = ""  # the group parent that may stand over the next empty cells of this row
        for c in range(width):
            if grid[r][c]:
                parent = grid[r][c] if has_sub(r, c) else ""
            elif parent and has_sub(r, c):
                grid[r][c] = parent
            else:
                parent = ""
    return [SEP.join(_dedupe([grid[r][c] for r in range(height) if grid[r][c]])) for c in range(width)]


def find_header(first_rows: list[list[object]], saved: Mapping | None = None) -> HeaderBlock | None:
    """The header block among a sheet's first rows: the first run of header rows (and the row of
    column numbers under it) whose combined headers name the head of household's name and ID number,
    by the catalogue or by the county's saved mapping."""
    rows = [list(r) for r in first_rows[:HEADER_SCAN_ROWS]]
    claimed: dict[int, int] = {}  # column -> the row up to which a refused block put it under another person
    for start, row in enumerate(rows):
        if not _header_row(row):
            continue
        end = start + 1
        while end < len(rows) and end - start < MAX_HEADER_ROWS and _sub_row(rows[end]):
            end += 1
        headers = combine(rows[start:end])
        columns = propose(headers, saved)
        named = {c.field or c.proposed for c in columns}
        if not REQUIRED <= named:
            for c in columns:
                if end - start > 1 and _someone_elses(c.header):
                    claimed[c.index] = max(claimed.get(c.index, 0), end)
            continue
        if "relation" not in named and any(
            (c.field or c.proposed) in HEAD_FIELDS and claimed.get(c.index, 0) > start for c in columns
        ):
            continue  # 姓名 under 家庭成员 read without its parent is not the head's (a household ledger)
        height = end - start + (1 if end < len(rows) and numbers_row(rows[end]) else 0)
        title = " ".join(t for r in rows[:start] for t in dict.fromkeys(t for _i, t in _texts(r)))
        return HeaderBlock(start=start + 1, height=height, headers=headers, title=title)
    return None
