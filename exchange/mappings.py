"""Each county's ledger shape (ColumnMapping): read for the next import's proposal and for the export
in the county's own columns, saved when an official confirms a mapping."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import record
from exchange.household_columns import BY_KEY
from exchange.ledger import FileColumn, HeaderBlock, Mapping, SheetPlan
from exchange.ledger.headers import HEADER_SCAN_ROWS, REQUIRED, find_header, header_key, propose
from exchange.ledger.hidden import Hidden, hidden_lines
from exchange.ledger.sheets import read_sheets
from exchange.models import ColumnMapping
from exchange.readers import UnreadableFile
from exchange.xlsx_stream import column_letter


def county_of(user: User) -> str:
    """The scope a mapping is kept for: the user's county (a town official's too), or the user's own
    region when it is above a county."""
    return (user.region_id or "")[:6]


def saved_for(user: User) -> ColumnMapping | None:
    return ColumnMapping.objects.filter(region_code=county_of(user)).first()


def save_from(user: User, plan: SheetPlan, layout: str = "household") -> ColumnMapping:
    """Keep the confirmed columns of a sheet as the county's mapping (audited with before and after)."""
    columns = [[c.header, c.field or ""] for c in plan.columns if c.header]
    current = saved_for(user)
    before = {"columns": current.columns, "layout": current.layout} if current else None
    mapping, _created = ColumnMapping.objects.update_or_create(
        region_code=county_of(user),
        defaults={"columns": columns, "header_rows": plan.header.height, "layout": layout, "updated_by": user},
    )
    record("import.mapping", actor=user, obj=mapping, region_code=county_of(user), before=before,
           after={"columns": columns, "layout": layout})  # fmt: skip
    return mapping


# -- the mapping step of an import (ADR 0033) ------------------------------------------------------

SAMPLES = 3  # values shown per column
HIDDEN_SHOWN = 20  # hidden rows named per sheet
SAMPLE_SCAN_ROWS = 20  # rows read under the header for them
_LONG_NUMBER = re.compile(r"\d{7,}[\dXx]?")


def _sample(cell: object) -> str:
    """A value as the mapping page shows it: a long number (an ID, a phone, a bank account) masked, as
    the proposal is kept in the job's row in the clear."""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = " ".join(str(cell).split())[:40]
    return _LONG_NUMBER.sub(lambda m: _keep_ends(m.group()), text)


def _keep_ends(digits: str) -> str:
    keep = 4 if len(digits) >= 15 else 2
    return digits[:keep] + "*" * (len(digits) - 2 * keep) + digits[-keep:]


def read_proposal(path: Path, original_name: str, user: User) -> dict[str, Any]:
    """The header of every sheet read from its first rows only, each column's field proposed (the
    county's saved mapping first, then the catalogue) with a few of its values: what the mapping page
    shows. Columns of the same header in several sheets are one; a header two columns of one sheet
    share cannot be told apart and is marked `repeated`."""
    saved = saved_for(user)
    saved_map = saved.as_mapping() if saved else None
    columns: dict[str, dict[str, Any]] = {}
    blank: list[dict[str, Any]] = []  # columns with values and no header
    sheets: list[str] = []
    hidden: list[dict[str, Any]] = []  # per sheet, the rows and columns Excel hides (exchange.ledger.hidden)
    hides = hidden_lines(path, original_name)
    title, header_rows = "", 1
    for sheet in read_sheets(path, original_name):
        if getattr(sheet, "skipped", ""):  # a hidden or empty sheet the import does not read either
            continue
        first = [list(r) for r in itertools.islice(sheet.rows, HEADER_SCAN_ROWS + SAMPLE_SCAN_ROWS)]
        close = getattr(sheet.rows, "close", None)
        if close is not None:
            close()
        block = find_header(first[:HEADER_SCAN_ROWS], saved_map)
        if block is None:
            continue
        sheets.append(sheet.name)
        if sheet.name in hides:
            hidden.append(hidden_entry(sheet.name, hides[sheet.name], block))
        title, header_rows = title or block.title, max(header_rows, block.height)
        body = [r for r in first[block.end :] if any(_sample(c) for c in r if c is not None)]
        keys = Counter(header_key(h) for h in block.headers)
        for column in propose(block.headers, saved_map):
            values = [
                s for r in body if column.index < len(r) and r[column.index] is not None and (s := _sample(r[column.index]))
            ]
            key = header_key(column.header)
            if not key:
                if values:
                    blank.append({"letter": column_letter(column.index), "sheet": sheet.name, "samples": values[:SAMPLES]})
                continue
            entry = columns.setdefault(key, {
                "key": key, "header": column.header, "field": column.field, "source": column.source,
                "proposed": column.proposed, "samples": [], "letter": column_letter(column.index), "repeated": 0,
            })  # fmt: skip
            entry["samples"] = (entry["samples"] + values)[:SAMPLES]
            entry["repeated"] = max(entry["repeated"], keys[key] if keys[key] > 1 else 0)
    if not sheets:
        raise UnreadableFile(
            _("在前 %(n)s 行中没有找到表头：表格需要有“%(a)s”和“%(b)s”两列。请使用导入模板，或检查表头。")
            % {"n": HEADER_SCAN_ROWS, "a": BY_KEY["head_name"].header, "b": BY_KEY["head_id"].header}
        )
    return {"title": title, "header_rows": header_rows, "sheets": sheets, "columns": list(columns.values()), "blank": blank,
            "hidden": hidden}  # fmt: skip


def mapping_from_choices(proposal: dict[str, Any], choices: dict[str, str]) -> Mapping:
    """The mapping an official chose on the page: `col_<n>` -> field key ("" = 不导入) for every
    column of the proposal. A stale or forged form (a column that is not there, a field that does not
    exist, two columns to one field, a column left out) is refused in Chinese, naming what is wrong."""
    columns = proposal.get("columns") or []
    errors: list[str] = []
    picked: dict[int, str] = {}
    for name, value in choices.items():
        number = name.removeprefix("col_")
        if not (number.isascii() and number.isdigit()) or number != str(int(number)) or int(number) >= len(columns):
            errors.append(_("表单中的列“%(c)s”在文件中不存在，请刷新页面后重新选择。") % {"c": name[:20]})
            continue
        if value and value not in BY_KEY:
            errors.append(_("“%(h)s”所选的档案字段不存在，请重新选择。") % {"h": columns[int(number)]["header"]})
            continue
        picked[int(number)] = value
    missing = [c["header"] for n, c in enumerate(columns) if n not in picked]
    if missing:
        errors.append(_("以下列没有选择（请刷新页面后重新选择）：%(h)s") % {"h": "、".join(missing)})
    users: dict[str, list[str]] = {}
    for n, value in sorted(picked.items()):
        if value:
            users.setdefault(value, []).append(columns[n]["header"])
            if columns[n].get("repeated"):
                errors.append(_("文件中有 %(k)s 列的表头都是“%(h)s”，无法区分，不能导入：请在文件中修改表头后重新上传。")
                              % {"k": columns[n]["repeated"], "h": columns[n]["header"]})  # fmt: skip
    for value, headers in users.items():
        if len(headers) > 1:
            errors.append(_("“%(h)s”都对应到了“%(f)s”：一个档案字段只能对应一列，请只保留一列。")
                          % {"h": "”“".join(headers), "f": BY_KEY[value].header})  # fmt: skip
    for key in sorted(REQUIRED):
        if key not in users:
            errors.append(_("必须指定哪一列是“%(f)s”。") % {"f": BY_KEY[key].header})
    if errors:
        raise ValidationError(errors)
    return {columns[n]["key"]: value for n, value in sorted(picked.items())}


def warnings_for(proposal: dict[str, Any], mapping: Mapping | None) -> list[str]:
    """What the mapping page flags before the official confirms: columns that need a choice, required
    fields no column gives, the columns that will not be imported."""
    columns = proposal.get("columns") or []
    chosen = [_chosen(c, mapping) for c in columns]
    notes = []
    for c in columns:
        if c.get("source") == "conflict" and (mapping is None or not mapping.get(c["key"])):
            field = BY_KEY[c["proposed"]].header if c.get("proposed") in BY_KEY else c.get("proposed")
            notes.append(_("“%(h)s”可能是“%(f)s”，但另有一列也像：请为它们选择。") % {"h": c["header"], "f": field})
    for key in ("head_name", "head_id", "family_size"):
        if key not in chosen:
            notes.append(_("没有对应“%(f)s”的列：每一行都会因此报错。") % {"f": BY_KEY[key].header})
    if "village_code" not in chosen and "village" not in chosen:
        notes.append(_("没有对应“村区划代码”或“村”的列：无法确定农户所在的村。"))
    skipped = [c["header"] for c, f in zip(columns, chosen, strict=True) if not f]
    if skipped:
        notes.append(_("以下列不导入：%(h)s") % {"h": "、".join(skipped)})
    for b in proposal.get("blank") or []:
        notes.append(_("第 %(l)s 列有内容但没有表头，不导入。") % {"l": b["letter"]})
    notes.extend(hidden_notes(proposal.get("hidden") or [], len(proposal.get("sheets") or []) > 1))
    return notes


def hidden_entry(sheet: str, found: Hidden, block: HeaderBlock) -> dict[str, Any]:
    """What a sheet hides under its header, as the proposal keeps it."""
    rows = [r for r in found.rows if r > block.end]
    columns = [[column_letter(c), block.headers[c]] for c in found.columns if c < len(block.headers)]
    return {"sheet": sheet, "rows": rows[:HIDDEN_SHOWN], "row_count": len(rows), "columns": columns}


def hidden_notes(hidden: list[dict[str, Any]], several: bool) -> list[str]:
    """The rows and columns Excel hides, said on the mapping page and by the command."""
    notes = []
    for h in hidden:
        where = f"{h['sheet']} " if several or h["sheet"] else ""
        if h["rows"]:
            shown = "、".join(str(r) for r in h["rows"]) + ("等" if h["row_count"] > len(h["rows"]) else "")
            notes.append(_("%(w)s第 %(r)s 行在 Excel 中被隐藏（共 %(n)s 行），仍会导入：如这些行不应导入，"
                           "请在文件中删除后重新上传。") % {"w": where, "r": shown, "n": h["row_count"]})  # fmt: skip
        for letter, header in h["columns"]:
            hidden_column = _("%(w)s“%(h)s”（%(l)s 列）在 Excel 中被隐藏，仍按上面的对应导入。")
            notes.append(hidden_column % {"w": where, "h": header, "l": letter})
    return notes


def _chosen(column: dict[str, Any], mapping: Mapping | None) -> str:
    """The field a proposal's column has now: the confirmed mapping's, else the proposal's."""
    if mapping is not None and column["key"] in mapping:
        return mapping[column["key"]]
    return column.get("field") or ""


def selections(proposal: dict[str, Any], mapping: Mapping | None) -> list[tuple[dict[str, Any], str]]:
    """Each column of the proposal with the field the page selects for it."""
    return [(c, _chosen(c, mapping)) for c in proposal.get("columns") or []]


def confirmed_plan(proposal: dict[str, Any], mapping: Mapping) -> SheetPlan:
    """The proposal's columns with the confirmed fields, as a sheet plan `save_from` keeps."""
    columns = proposal.get("columns") or []
    block = HeaderBlock(start=1, height=int(proposal.get("header_rows") or 1), headers=[c["header"] for c in columns],
                        title=proposal.get("title", ""))  # fmt: skip
    plan = SheetPlan("", block)
    for n, c in enumerate(columns):
        field = mapping.get(c["key"]) or None
        proposed = c.get("field") or c.get("proposed")
        plan.columns.append(FileColumn(n, c["header"], field, proposed=proposed if proposed != field else None, source="user"))
    return plan
