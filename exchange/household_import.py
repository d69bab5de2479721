"""Bringing households in from a spreadsheet: find the header, clean and check every row, then
write the good rows in chunks (households.services.plan_households, then write_plan).

Rows that fail are reported with their reason (and come back as an .xlsx); the good ones are kept.
Each chunk commits together with the job's progress counter, so a process killed mid-import leaves
whole households only, and the import resumes after the last committed chunk.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from codetables.models import Table
from codetables.selectors import codes_by_name
from core.bulk import bulk_gc
from core.crypto import blind_index
from core.overlap import Overlap, can_overlap
from exchange.household_columns import BY_KEY, IGNORED_HEADERS
from exchange.ledger import Mapping, SheetPlan, SkippedRow
from exchange.ledger.headers import HEADER_SCAN_ROWS, find_header, propose
from exchange.ledger.layout import HEAD, Columns, group_households, person_layout, skip_reason
from exchange.ledger.layout import Household as PersonLines
from exchange.ledger.sheets import Range, read_sheets
from exchange.readers import UnreadableFile
from exchange.xlsx import safe_cell
from households import idnumber
from households import validation as v
from households.models import Member
from households.services import HouseholdInput, MemberInput, Outcome, Plan, plan_households, write_plan
from regions.matching import VillageMatcher

CHUNK = 2000
SKIPPED_SAMPLE = 200  # skipped lines the preview lists (all are counted)


@dataclass
class ParsedRow:
    line: int  # 1-based, in its sheet
    cells: list[object]
    data: HouseholdInput | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # judgements shown with the row (a village found by alias)
    sheet: str = ""  # the sheet's name ("" for a CSV)
    label: str = ""  # how the line is named to the user: “5”, or “五一村!5” in a workbook of several sheets
    members: list[ParsedRow] = field(default_factory=list)  # a per-person household's other lines, in file order

    @property
    def lines(self) -> list[ParsedRow]:
        """Every line of the household, in file order."""
        return sorted([self, *self.members], key=lambda r: r.line) if self.members else [self]


@dataclass
class SheetLayout:
    """A sheet as the error file gives it back: the lines down to the header's last as they were read
    (the title and header rows), the merged ranges among them, and its columns."""

    plan: SheetPlan
    top: list[list[object]]
    merges: list[Range]
    width: int


@dataclass
class ParsedFile:
    header: list[object]
    rows: Iterator[ParsedRow]
    sheets: list[SheetPlan] = field(default_factory=list)  # each sheet's header and columns, for the preview
    skipped: list[SkippedRow] = field(default_factory=list)  # sheets and lines not read as data (complete once rows are)
    layouts: list[SheetLayout] = field(default_factory=list)  # the sheets' shapes, for the error file


DWELLING_KEYS = ("structure_type", "year_built", "storeys", "bays", "floor_area", "address", "group_name")
HOUSEHOLD_KEYS = ("group_name", "archive_no", "phone", "family_size", "bank_name", "bank_account", "only_house", "note")
AREA_RANGE = (v.Decimal("1"), v.Decimal("5000"))


MEMO_LIMIT = 4096  # distinct cells remembered per column (the memory stays small on any file)


def memoized(check: Callable[..., Any], limit: int = MEMO_LIMIT) -> Callable[..., Any]:
    """A column check that remembers its answer for each cell it has seen, by the cell's type and
    value (1, 1.0 and True are different cells). A ledger's columns mostly repeat a few values
    (villages, categories, structures, 是/否, years, areas, common names), so each is checked once
    per file. Only for checks whose answer depends on the cells alone; a rejection is remembered as
    its message and raised anew."""
    cache: dict[tuple[Any, ...], tuple[bool, Any]] = {}

    def run(*cells: Any) -> Any:
        key = (*map(type, cells), *cells)
        try:
            ok, answer = cache[key]
        except KeyError:
            try:
                ok, answer = True, check(*cells)
            except v.FieldError as exc:
                ok, answer = False, (exc.field, exc.message)
            if len(cache) >= limit:
                cache.clear()
            cache[key] = (ok, answer)
        if not ok:
            raise v.FieldError(*answer)
        return list(answer) if type(answer) is list else answer  # the caller may change a list

    return run


class RowParser:
    def __init__(
        self,
        mapping: dict[int, str],
        villages: VillageMatcher,
        *,
        context: str = "",
        region_code: str = "",
        seen: dict[str, str] | None = None,
        members_seen: dict[str, str] | None = None,
    ) -> None:
        self.mapping = mapping
        self.context = context  # the file's title or sheet name: the town a row without one is in
        self.columns = [(key, i) for i, key in mapping.items()]
        self.head_columns = [i for key, i in self.columns if key in ("head_name", "head_id")]
        self.villages = villages
        categories = codes_by_name(Table.HOUSEHOLD_CATEGORY, region_code)  # with the aliases of the user's county
        structures = codes_by_name(Table.STRUCTURE_TYPE, region_code)
        relations = codes_by_name(Table.RELATION, region_code)
        self.relations = {"".join(v.text(name).split()).upper(): code for name, code in relations.items()}
        self.seen: dict[str, str] = seen if seen is not None else {}  # head ID digest -> the line it was first on
        self.members_seen: dict[str, str] = members_seen if members_seen is not None else {}  # the same for members
        self.member_lines: list[tuple[ParsedRow, ParsedRow, str]] = []  # (head, member's line, digest) to check
        # Columns the file does not have leave the stored values alone (family size always has one).
        present = frozenset(mapping.values())
        self.present = present
        self.household_keys = [k for k in HOUSEHOLD_KEYS if k in present or k == "family_size"]
        has_dwelling = bool(present & {"structure_type", "year_built", "storeys", "bays", "floor_area", "address"})
        self.dwelling_keys = [k for k in DWELLING_KEYS if k in present] if has_dwelling else None
        self.resolve = memoized(lambda code, town, village, context: villages.resolve(code, town, village, context=context))
        self.text = memoized(v.text)  # for the columns that repeat (组, bank names, category sources)
        # every check runs, so a row's reasons are reported together; numbers that identify one
        # person (ID, phone, bank account) are not worth remembering
        self.checks: list[tuple[str, Callable[[Any], Any]]] = [
            ("head_name", memoized(lambda r: v.name(r, "head_name", "户主姓名"))),
            ("head_id", v.id_number),
            ("phone", v.phone),
            ("family_size", memoized(v.family_size)),
            ("bank_account", v.bank_account),
            ("only_house", memoized(lambda r: v.boolean(r, "only_house", "是否一户一宅", True))),
            ("categories", memoized(lambda r: v.choices(r, "categories", "农户类别", categories))),
            ("structure_type", memoized(lambda r: v.choice(r, "structure_type", "结构形式", structures))),
            ("year_built", memoized(v.year_built)),
            ("storeys", memoized(lambda r: v.integer(r, "storeys", "层数", 1, 10, units=("层",)))),
            ("bays", memoized(lambda r: v.integer(r, "bays", "间数", 1, 50, units=("间",)))),
            ("floor_area", memoized(lambda r: v.decimal(r, "floor_area", "建筑面积", *AREA_RANGE, units=v.AREA_UNITS))),
        ]

    def parse(self, line: int, cells: list[object], *, sheet: str = "", label: str = "", persons: int | None = None) -> ParsedRow:
        """A household's line (or, one row per person, its head's, with `persons` lines in all: the
        family size when the line gives none)."""
        n = len(cells)
        raw: dict[str, Any] = {key: cells[i] for key, i in self.columns if i < n}
        if persons is not None and v.text(raw.get("family_size")) == "":
            raw["family_size"] = persons
        get = raw.get
        row = ParsedRow(line, cells, sheet=sheet, label=label or str(line))
        errors = row.errors
        values: dict[str, Any] = {}
        try:
            match = self.resolve(get("village_code"), get("town"), get("village"), self.context)
            values["village_code"] = match.code
            if match.note:
                row.notes.append(match.note)
        except v.FieldError as exc:
            errors.append(exc.message)
        for key, check in self.checks:
            try:
                values[key] = check(get(key))
            except v.FieldError as exc:
                errors.append(exc.message)
        if errors:
            return row
        head_id = values["head_id"]
        if head_id.value.endswith(idnumber.TRUNCATED_TAIL):
            row.notes.append(idnumber.maybe_cut_by_excel())
        digest = blind_index(head_id.value)
        if digest in self.seen:
            errors.append(_("与第 %(l)s 行的身份证号重复") % {"l": self.seen[digest]})
            return row
        self.seen[digest] = row.label
        values["group_name"] = self.text(get("group_name"))[:50]
        values["archive_no"] = v.compact(get("archive_no"))[:40]
        values["bank_name"] = self.text(get("bank_name"))[:60]
        values["note"] = v.text(get("note"))[:1000]
        values["address"] = v.text(get("address"))[:200]
        row.data = HouseholdInput(
            village_code=values["village_code"],
            head_name=values["head_name"],
            head_id=head_id,
            fields={k: values[k] for k in self.household_keys},
            categories=values["categories"] if "categories" in self.present else None,
            category_source=self.text(get("category_source"))[:60],
            dwelling={k: values[k] for k in self.dwelling_keys} if self.dwelling_keys is not None else None,
            head_hash=digest,
        )
        return row

    def member(self, row: ParsedRow, relation: str | None) -> MemberInput | None:
        """A household member's line of a ledger kept one row per person: name, relation, ID number."""
        cells, n = row.cells, len(row.cells)
        get = {key: cells[i] for key, i in self.columns if i < n}.get
        member = MemberInput(name="", relation=relation or "")
        try:
            member.name = v.name(get("head_name"), "name", _("姓名"))
        except v.FieldError as exc:
            row.errors.append(exc.message)
        if relation is None:
            typed = v.text(get("relation"))
            known = "、".join(list(dict.fromkeys(k for k, c in self.relations.items() if c != HEAD))[:12])
            unknown = _("与户主关系“%(r)s”无法识别（可填：%(k)s）") % {"r": typed, "k": known}
            row.errors.append(unknown if typed else _("请填写与户主关系"))
        if v.text(get("head_id")):
            try:
                member.id_number = v.id_number(get("head_id"), "id_number")
                if member.id_number.value.endswith(idnumber.TRUNCATED_TAIL):
                    row.notes.append(idnumber.maybe_cut_by_excel())
            except v.FieldError as exc:
                row.errors.append(exc.message)
        return None if row.errors else member

    def household(self, lines: PersonLines, sheet: str, label: Callable[[int], str]) -> ParsedRow:
        """One household of a ledger kept one row per person, as the ParsedRow of its head's line with
        the other lines as its members; refused whole, with a reason on every line, when a line is wrong
        or it has no head or several."""
        rows = [ParsedRow(n, cells, sheet=sheet, label=label(n)) for n, cells in lines.lines]
        heads = [i for i, rel in enumerate(lines.relations) if rel == HEAD]
        problems: list[str] = []
        if not lines.key and self.group_field:
            header = BY_KEY[self.group_field].header
            problems.append(_("“%(h)s”为空，无法确定该行属于哪一户") % {"h": header})
        elif lines.unordered:
            problems.append(
                _("本表没有“户编号”列，按“户主”行往下分户，但第 %(l)s 行在第一个户主行之前：户主行不在每户的第一行，"
                  "无法确定各成员属于哪一户，本表未导入。请增加“户编号”列，或把每户的户主行放在该户第一行")
                % {"l": label(lines.unordered)}
            )  # fmt: skip
        elif not heads:
            problems.append(_("该户没有与户主关系为“户主”的行"))
        elif len(heads) > 1:
            which = "、".join(rows[i].label for i in heads)
            problems.append(_("该户有 %(n)d 行与户主关系为“户主”（第 %(l)s 行），只能有一行") % {"n": len(heads), "l": which})
        index = heads[0] if len(heads) == 1 else 0
        if len(heads) == 1 and not problems:
            n, cells = lines.lines[index]
            rows[index] = self.parse(n, cells, sheet=sheet, label=label(n), persons=len(rows))
        head = rows[index]
        head.members = [r for r in rows if r is not head]
        others = [(r, rel) for r, rel in zip(rows, lines.relations, strict=True) if r is not head]
        members = [self.member(r, rel) for r, rel in others] if not problems else []
        if head.data is not None and self.group_field == "head_ref" and not self._is_head(lines.key, head.data):
            header = BY_KEY["head_ref"].header
            problems.append(_("“%(h)s”（%(k)s）与户主本人的身份证号不一致") % {"h": header, "k": lines.key})
        if head.data is not None and not problems:
            self._check_member_numbers(head, [(r, m) for (r, _rel), m in zip(others, members, strict=True)])
        _settle(head, problems)
        if head.data is not None:
            head.data.members = [m for m in members if m is not None]
        return head

    def _check_member_numbers(self, head: ParsedRow, members: list[tuple[ParsedRow, MemberInput | None]]) -> None:
        """A member's ID number may be on one line of the file only, not its head's (the archive keeps
        each member's number once: households.models.Member, as save_member refuses it too)."""
        own = head.data.head_hash if head.data is not None else ""
        for row, member in members:
            if member is None or member.id_number is None:
                continue
            digest = blind_index(member.id_number.value)
            if digest == own:
                row.errors.append(_("与户主的身份证号相同"))
            elif digest in self.members_seen:
                row.errors.append(_("与第 %(l)s 行的身份证号重复") % {"l": self.members_seen[digest]})
            else:
                self.members_seen[digest] = row.label
                self.member_lines.append((head, row, digest))

    def refuse_archived_members(self) -> None:
        """Refuse the households (of the lines read since the last call) with a member whose ID number
        the archive already keeps as another household's member; one query per thousand members."""
        lines, self.member_lines = self.member_lines, []
        found: dict[str, str] = {}
        for start in range(0, len(lines), 1000):
            digests = [d for _h, _r, d in lines[start : start + 1000]]
            found.update(
                Member.objects.filter(id_number_hash__in=digests).values_list("id_number_hash", "household__head_id_hash")
            )
        for head, row, digest in lines:
            if digest in found and head.data is not None and found[digest] != head.data.head_hash:
                row.errors.append(_("该身份证号已登记为其他家庭的成员"))
                _settle(head, [])  # its other lines had no errors: they now say which line is wrong

    @property
    def group_field(self) -> str:
        present = self.present
        return "household_no" if "household_no" in present else "head_ref" if "head_ref" in present else ""

    @staticmethod
    def _is_head(key: str, data: HouseholdInput) -> bool:
        try:
            return v.id_number(key).value == data.head_id.value
        except v.FieldError:
            return False


def _settle(head: ParsedRow, problems: list[str]) -> None:
    """A per-person household refused whole when a line is wrong or it has `problems`: every line says
    why (its own reason, or which other line is wrong), the head's line lists them all."""
    rows = head.lines
    wrong = [r for r in rows if r.errors]
    if not wrong and not problems:
        return
    said = [_("同户第 %(l)s 行：%(e)s") % {"l": m.label, "e": "；".join(m.errors)} for m in wrong if m is not head]
    for r in rows:
        own = bool(r.errors)
        r.errors.extend(problems)
        if r is head:
            r.errors.extend(said)
        elif not own and wrong:
            r.errors.append(_("同户第 %(l)s 行有误，整户未导入") % {"l": "、".join(m.label for m in wrong)})
    head.data = None


def _sheet_context(name: str, title: str) -> str:
    """What a sheet says of where its households are, for the village matcher: its name and title (a
    title merged across the sheet is read once in each cell it covers: said once here)."""
    return " ".join(dict.fromkeys(f"{name} {title}".split()))


def _header_missing() -> UnreadableFile:
    return UnreadableFile(
        _("在前 %(n)d 行中没有找到表头：表格需要有“%(a)s”和“%(b)s”两列。请使用导入模板。")
        % {"n": HEADER_SCAN_ROWS, "a": BY_KEY["head_name"].header, "b": BY_KEY["head_id"].header}
    )


def parse_file(path: Path, original_name: str, user: User | None, mapping: Mapping | None = None) -> ParsedFile:
    """The ledger's households to check, from every sheet: each sheet's header found
    (exchange.ledger.headers), each column's field taken from `mapping` (the one the user confirmed,
    or the county's saved one) or proposed from the column catalogue, the same for every sheet by
    header key. A sheet without a header (a notes sheet), a hidden or empty one, and every line that
    is not a household's (exchange.ledger.layout) are reported in `skipped`, not as errors."""
    skipped: list[SkippedRow] = []
    found: list[tuple[Iterator[list[object]], SheetLayout, list[list[object]]]] = []
    for sheet in read_sheets(path, original_name):  # every sheet is loaded here: all headers are known up front
        if sheet.skipped:
            skipped.append(SkippedRow(sheet.name, 0, [], sheet.skipped))
            continue
        first = list(itertools.islice(sheet.rows, HEADER_SCAN_ROWS))
        block = find_header(first, mapping)
        if block is None:
            empty = not any(v.text(c) for r in first for c in r)
            skipped.append(SkippedRow(sheet.name, 0, [], _("空工作表") if empty else _("没有找到表头（说明页？），未导入")))
            continue
        plan = SheetPlan(sheet.name, block, propose(block.headers, mapping))
        top = first[: block.end]
        merges = [m for m in sheet.merges if m[0] < block.end]
        width = max((len(r) for r in top), default=0)
        found.append((sheet.rows, SheetLayout(plan, top, merges, width), first[block.end :]))
        skipped.extend(SkippedRow(sheet.name, n, cells, _("标题行")) for n, cells in enumerate(first[: block.start - 1], 1)
                       if any(v.text(c) for c in cells))  # fmt: skip
    if not found:
        raise _header_missing()
    prefix = (user.region_id or "") if user else ""
    villages = VillageMatcher(prefix)
    seen: dict[str, str] = {}  # ID numbers across all sheets
    members_seen: dict[str, str] = {}
    several = len(found) > 1

    def lines(
        rest: Iterator[list[object]], layout: SheetLayout, body: list[list[object]], columns: Columns
    ) -> Iterator[tuple[int, list[object]]]:
        name = layout.plan.sheet
        n = layout.plan.header.end
        for cells in itertools.chain(body, rest):
            n += 1
            reason = skip_reason(cells, columns)
            if reason is None:
                yield n, cells
            else:
                skipped.append(SkippedRow(name, n, cells if any(v.text(c) for c in cells) else [], reason))

    def generate() -> Iterator[ParsedRow]:
        for rest, layout, body in found:
            plan = layout.plan
            name = plan.sheet
            fields = plan.mapping()
            context = _sheet_context(f"{Path(original_name).stem} {name}", plan.header.title)
            parser = RowParser(fields, villages, context=context, region_code=prefix, seen=seen, members_seen=members_seen)
            columns = Columns.of(fields)

            def label(n: int, name: str = name) -> str:
                return f"{name}!{n}" if several else str(n)

            if person_layout(fields):
                groups = group_households(lines(rest, layout, body, columns), fields, parser.relations)
                households = [parser.household(household, name, label) for household in groups]
                parser.refuse_archived_members()
                yield from households
            else:
                for n, cells in lines(rest, layout, body, columns):
                    yield parser.parse(n, cells, sheet=name, label=label(n))

    first_plan = found[0][1]
    return ParsedFile(first_plan.top[first_plan.plan.header.start - 1], generate(), [f[1].plan for f in found], skipped,
                      [f[1] for f in found])  # fmt: skip


@dataclass
class Totals:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0  # lines that are not households (totals, footers, titles, blank lines), as ParsedFile.skipped lists them
    rejected_rows: list[ParsedRow] = field(default_factory=list)
    villages: dict[str, Any] = field(default_factory=dict)  # village regions read once per file

    def as_dict(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


def report(parsed: ParsedFile, totals: Totals, sample: int = SKIPPED_SAMPLE) -> dict[str, Any]:
    """What the preview and the finished job say beside the counts: the lines skipped as not being
    households (sheets without a header, titles, totals, footers; blank lines only counted). The
    judgements made on rows (a village by alias …) are ImportJob.noted (exchange.tasks)."""
    shown = [s for s in parsed.skipped if s.line == 0 or any(v.text(c) for c in s.cells)]
    return {
        "skipped": len(shown),
        "blank": len(parsed.skipped) - len(shown),
        "skipped_sample": [[_skipped_label(s, parsed), s.reason] for s in shown[:sample]],
    }


def _skipped_label(row: SkippedRow, parsed: ParsedFile) -> str:
    several = len(parsed.sheets) > 1 or any(s.line == 0 for s in parsed.skipped)
    if row.line == 0:
        return _("工作表“%(s)s”") % {"s": row.sheet}
    return f"{row.sheet}!{row.line}" if several and row.sheet else str(row.line)


Written = tuple[list[ParsedRow], list[Outcome]]


def _write_chunk(chunk: list[ParsedRow], plan: Plan, on_commit: Callable[[Totals, int], None] | None) -> Written:
    """Write a planned chunk in one transaction with the job's progress (on the writer thread when
    the import overlaps)."""
    with transaction.atomic():
        outcomes = write_plan(plan)
        if on_commit is not None:
            delta = Totals()
            for outcome in outcomes:
                if outcome.status != "rejected":
                    setattr(delta, outcome.status, getattr(delta, outcome.status) + 1)
            on_commit(delta, len(chunk))
    return chunk, outcomes


def run(
    parsed: ParsedFile,
    *,
    user: User | None,
    dry_run: bool = False,
    skip_valid: int = 0,
    on_commit: Callable[[Totals, int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Totals:
    """Validate every row and write the valid ones; with dry_run, only work out what writing them
    would do (each row's outcome, for the preview) and write nothing.

    On PostgreSQL each chunk is written on a second thread while the next one is checked and
    planned (core.overlap); chunks still commit one after another, in file order."""
    totals = Totals()

    def count(written: Written) -> None:
        for row, outcome in zip(*written, strict=False):
            if outcome.status == "rejected":
                row.errors.append(outcome.reason)
                totals.rejected += 1
                totals.rejected_rows.append(row)
            else:
                setattr(totals, outcome.status, getattr(totals, outcome.status) + 1)
        if on_progress:
            on_progress(totals.rows)

    writer = Overlap(count) if can_overlap() and not dry_run else None

    def flush(chunk: list[ParsedRow]) -> None:
        # rows of the same ID number never fall in two chunks (RowParser rejects repeats), so a chunk
        # is planned correctly before the previous one, still being written, has committed
        inputs = [r.data for r in chunk if r.data is not None]
        plan = plan_households(actor=user, inputs=inputs, village_cache=totals.villages, households_needed=False, preview=dry_run)
        if dry_run:  # the plan's outcomes are the preview: nothing is written and rolled back
            count((chunk, plan.outcomes))
        elif writer is not None:
            writer.submit(_write_chunk, chunk, plan, on_commit)
        else:
            count(_write_chunk(chunk, plan, on_commit))

    chunk: list[ParsedRow] = []
    valid_seen = 0
    with bulk_gc(), writer or contextlib.nullcontext():
        for row in parsed.rows:
            totals.rows += 1
            if row.errors:
                totals.rejected += 1
                totals.rejected_rows.append(row)
                continue
            valid_seen += 1
            if valid_seen <= skip_valid:
                continue  # written by an earlier, interrupted run
            chunk.append(row)
            if len(chunk) >= CHUNK:
                flush(chunk)
                chunk = []
        if chunk:
            flush(chunk)
    if on_progress:
        on_progress(totals.rows)
    totals.skipped = sum(1 for s in parsed.skipped if s.line)
    order = {p.sheet: i for i, p in enumerate(parsed.sheets)}
    # refused while reading or, outside the region, while writing
    totals.rejected_rows.sort(key=lambda r: (order.get(r.sheet, 0), r.line))
    return totals


def _as_typed(cell: object) -> object:
    """A cell as the official typed it: Excel keeps 3 and 2005 as 3.0 and 2005.0, and an ID number
    stored as a number as 6.10826196805127e+17; whole numbers go back without “.0”."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return cell


def write_errors(path: Path, parsed: ParsedFile, rejected: list[ParsedRow]) -> None:
    """The rejected lines in the shape they came in: the same sheets, each with its title and header
    rows as they were (merged ranges too), then every line of each rejected household in its columns
    and values as typed, and two columns at the right, 原行号 and 错误原因 (recognised and not imported
    when the corrected file comes back: household_columns.IGNORED_HEADERS). Merged cells among the
    data are written filled, so a line stands on its own."""
    import xlsxwriter

    by_sheet: dict[str, list[ParsedRow]] = {}
    for household in rejected:
        for row in household.lines:
            by_sheet.setdefault(row.sheet, []).append(row)
    book = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    )
    text = book.add_format({"num_format": "@"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    added = book.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1, "text_wrap": True, "valign": "vcenter"})
    used: set[str] = set()
    for layout in parsed.layouts:
        plan = layout.plan
        name = _sheet_name(plan.sheet or _("导入错误行"), used)
        sheet = book.add_worksheet(name)
        width = max(layout.width, max((len(r.cells) for r in by_sheet.get(plan.sheet, [])), default=0))
        sheet.set_column(0, width - 1, 14, text)
        sheet.set_column(width, width, 10)
        sheet.set_column(width + 1, width + 1, 60)
        covered = {(r, c) for r0, c0, r1, c1 in layout.merges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        covered -= {(r0, c0) for r0, c0, _r1, _c1 in layout.merges}
        header = plan.header
        for r, cells in enumerate(layout.top):
            for c, value in enumerate(cells):
                if (r, c) not in covered:
                    _write_cell(sheet, r, c, value, date)
            if r == header.end - 1:  # on the header's last row: a parent row above them stays empty
                for c, title in enumerate(IGNORED_HEADERS):
                    sheet.write_string(r, width + c, title, added)
        for r0, c0, r1, c1 in layout.merges:  # kept as ranges: the cells they cover stay unwritten
            sheet.merge.append([r0, c0, r1, c1])  # (merge_range would write blanks into later rows, which constant memory cannot)
        r = len(layout.top)
        for row in by_sheet.get(plan.sheet, []):
            for c, value in enumerate(row.cells):
                _write_cell(sheet, r, c, _as_typed(value), date)
            sheet.write_number(r, width, row.line)
            sheet.write_string(r, width + 1, "；".join(row.errors))
            r += 1
        sheet.freeze_panes(len(layout.top), 0)
    book.close()


def _sheet_name(name: str, used: set[str]) -> str:
    """A name Excel accepts (31 characters), unique in the book."""
    base = re.sub(r"[\\/*?:\[\]]", "_", name)[:31] or "Sheet"
    candidate, n = base, 1
    while candidate.lower() in used:
        n += 1
        candidate = f"{base[:28]}({n})"
    used.add(candidate.lower())
    return candidate


def _write_cell(sheet: Any, r: int, c: int, value: object, date: Any) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        sheet.write_boolean(r, c, value)
    elif isinstance(value, (int, float)):
        if value == value and abs(value) != float("inf"):
            sheet.write_number(r, c, value)
    elif isinstance(value, (dt.date, dt.datetime)):
        sheet.write_datetime(r, c, value, date)
    elif isinstance(value, dt.time):
        sheet.write_string(r, c, value.isoformat())
    else:
        sheet.write_string(r, c, str(safe_cell(str(value))))


def job_progress_callbacks(job_id: Any) -> tuple[Callable[[Totals, int], None], Callable[[int], None]]:
    from exchange.models import ImportJob

    def on_commit(delta: Totals, n: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(
            processed_rows=F("processed_rows") + n,
            created=F("created") + delta.created,
            updated=F("updated") + delta.updated,
            unchanged=F("unchanged") + delta.unchanged,
            heartbeat_at=timezone.now(),
        )

    def on_progress(rows: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())

    return on_commit, on_progress
