"""Bringing households in from a spreadsheet: find the header, clean and check every row, then
write the good rows in chunks (households.services.plan_households, then write_plan).

Rows that fail are reported with their reason (and come back as an .xlsx); the good ones are kept.
Each chunk commits together with the job's progress counter, so a process killed mid-import leaves
whole households only, and the import resumes after the last committed chunk.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from codetables.models import Table
from codetables.selectors import codes_by_name
from core.bulk import bulk_gc
from core.crypto import blind_index
from core.overlap import Overlap, can_overlap
from exchange.household_columns import BY_KEY
from exchange.ledger import Mapping, SheetPlan
from exchange.ledger.headers import HEADER_SCAN_ROWS, find_header, propose
from exchange.ledger.sheets import read_sheets
from exchange.readers import UnreadableFile
from exchange.xlsx import write_rows
from households import validation as v
from households.services import HouseholdInput, Outcome, Plan, plan_households, write_plan
from regions.matching import VillageMatcher

CHUNK = 2000


@dataclass
class ParsedRow:
    line: int
    cells: list[object]
    data: HouseholdInput | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # judgements shown with the row (a village found by alias)


@dataclass
class ParsedFile:
    header: list[object]
    rows: Iterator[ParsedRow]
    sheets: list[SheetPlan] = field(default_factory=list)  # each sheet's header and columns, for the preview


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
    def __init__(self, mapping: dict[int, str], villages: VillageMatcher, context: str = "", region_code: str = "") -> None:
        self.mapping = mapping
        self.context = context  # the file's title or sheet name: the town a row without one is in
        self.columns = [(key, i) for i, key in mapping.items()]
        self.head_columns = [i for key, i in self.columns if key in ("head_name", "head_id")]
        self.villages = villages
        categories = codes_by_name(Table.HOUSEHOLD_CATEGORY, region_code)  # with the aliases of the user's county
        structures = codes_by_name(Table.STRUCTURE_TYPE, region_code)
        self.seen: dict[str, int] = {}
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

    def parse(self, line: int, cells: list[object]) -> ParsedRow:
        n = len(cells)
        raw: dict[str, Any] = {key: cells[i] for key, i in self.columns if i < n}
        get = raw.get
        row = ParsedRow(line, cells)
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
        digest = blind_index(head_id.value)
        if digest in self.seen:
            errors.append(f"与第 {self.seen[digest]} 行的身份证号重复")
            return row
        self.seen[digest] = line
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


TOTAL_LABELS = frozenset({"合计", "总计", "小计", "合 计", "总 计"})


def is_total_row(cells: list[object], parser: RowParser) -> bool:
    """A 合计 / 小计 line that ledgers put under a table or a village: no head, no ID, a total label."""
    for i in parser.head_columns:
        if i < len(cells) and v.text(cells[i]) not in TOTAL_LABELS | {""}:
            return False
    return any(type(c) is str and v.compact(c) in TOTAL_LABELS for c in cells)


def parse_file(path: Path, original_name: str, user: User | None, mapping: Mapping | None = None) -> ParsedFile:
    """The ledger's rows as households to check: its header found (exchange.ledger.headers), each
    column's field taken from `mapping` (the one the user confirmed, or the county's saved one) or
    proposed from the column catalogue."""
    sheet = next(read_sheets(path, original_name))
    rows = sheet.rows
    first: list[list[object]] = []
    for cells in rows:
        first.append(list(cells))
        if len(first) >= HEADER_SCAN_ROWS:
            break
    block = find_header(first, mapping)
    if block is None:
        raise UnreadableFile(
            f"在前 {HEADER_SCAN_ROWS} 行中没有找到表头：表格需要有“{BY_KEY['head_name'].header}”"
            f"和“{BY_KEY['head_id'].header}”两列。请使用导入模板。"
        )
    plan = SheetPlan(sheet.name, block, propose(block.headers, mapping))
    prefix = (user.region_id or "") if user else ""
    parser = RowParser(
        plan.mapping(), VillageMatcher(prefix), context=f"{Path(original_name).stem} {block.title}", region_code=prefix
    )
    body = first[block.end :]

    def generate() -> Iterator[ParsedRow]:
        n = block.end
        for cells in itertools.chain(body, rows):
            n += 1
            cells = list(cells)
            if all(v.text(c) == "" for c in cells) or is_total_row(cells, parser):
                continue
            yield parser.parse(n, cells)

    return ParsedFile(first[block.start - 1], generate(), [plan])


@dataclass
class Totals:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
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
    totals.rejected_rows.sort(key=lambda r: r.line)  # refused while reading or, outside the region, while writing
    return totals


def _as_typed(cell: object) -> object:
    """A cell as the official typed it: Excel keeps 3 and 2005 as 3.0 and 2005.0, and an ID number
    stored as a number as 6.10826196805127e+17; whole numbers go back without “.0”."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return cell


def write_errors(path: Path, header: list[object], rejected: list[ParsedRow]) -> None:
    head = ["行号", *[v.text(h) for h in header], "错误原因"]
    write_rows(
        path,
        title="导入错误行",
        header=head,
        rows=([r.line, *map(_as_typed, r.cells), "；".join(r.errors)] for r in rejected),
        text_columns=range(len(head)),
    )


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
