"""Every write of a declared state column goes through its state machine (issue 12, ADR 0024).

For each machine in core.statemachine.REGISTRY (renovation cases, fund batches, inspection campaigns,
whatever is declared next: the machines are found by scanning the source for `Machine(...)`), the
project's source (not tests, not migrations) is read with `ast` for any write of that model's state
column outside the module that declares the machine and `core/statemachine.py` (whose `Machine.move`
is the one writer): `.update(state=...)`, `obj.state = ...`, `setattr(obj, "state", ...)`,
`create(state=...)`, `Model(state=...)`, `bulk_update(..., ["state"])`,
`update_or_create(defaults={"state": ...})`, a bulk helper given the model and `{"state": ...}`, and
raw SQL that sets the column. A write whose model cannot be told from the code counts when the file
names the model; a line that is truly about another model with the same column name says so with
`# not-a-state-write: <Model>`.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models import CheckConstraint

from core.statemachine import REGISTRY, Machine

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".venv", "node_modules", "migrations", "tests", "bench", ".git", "static", "templates", "data", "docs"}
ENGINE = "core/statemachine.py"
MARKER = "not-a-state-write:"


def source_files() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if SKIP_DIRS & set(rel.parts[:-1]) or rel.name.startswith("test_") or rel.name == "conftest.py":
            continue
        yield path


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def declared_machines() -> dict[str, str]:
    """Machine name -> the file that declares it (each is imported, so REGISTRY holds it)."""
    found = {}
    for path in source_files():
        text = path.read_text(encoding="utf-8")
        if "Machine(" not in text:
            continue
        for node in ast.walk(ast.parse(text)):
            func = getattr(node, "func", None)
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if isinstance(node, ast.Call) and name == "Machine" and node.args and isinstance(node.args[0], ast.Constant):
                found[str(node.args[0].value)] = _rel(path)
                importlib.import_module(_rel(path)[:-3].replace("/", "."))
    return found


@dataclass(frozen=True)
class Target:
    machine: str
    model: str  # class name, e.g. "Case"
    table: str
    column: str
    home: str  # the file that declares the machine


def targets() -> list[Target]:
    homes = declared_machines()
    out = []
    for name, machine in REGISTRY.items():
        model = apps.get_model(machine.model)
        for column in (machine.column, *ALSO_MOVED_BY.get(name, ())):
            out.append(Target(name, model.__name__, model._meta.db_table, column, homes.get(name, "")))
    return out


# Columns a machine's steps write besides the state (a case's objection hold is the hold/release steps').
ALSO_MOVED_BY = {"renovation.case": ("on_hold",)}


def _root_model(node: ast.AST) -> str | None:
    """The model a chained call starts from (`Case.objects.filter(...).update`), if the code says."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            if node.attr in ("objects", "_default_manager", "_base_manager") and isinstance(node.value, ast.Name):
                return node.value.id
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return None


def _has_key(node: ast.AST | None, column: str) -> bool:
    return isinstance(node, ast.Dict) and any(isinstance(k, ast.Constant) and k.value == column for k in node.keys)


def _lists_column(node: ast.AST, column: str) -> bool:
    return isinstance(node, ast.List | ast.Tuple | ast.Set) and any(
        isinstance(e, ast.Constant) and e.value == column for e in node.elts
    )


def writes(tree: ast.AST, t: Target, names_model: bool) -> Iterator[tuple[int, str]]:
    """(line, what) of each write of the target's column in a module's tree."""

    def ours(model: str | None) -> bool:
        return model == t.model or (model is None and names_model)

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                elts = target.elts if isinstance(target, ast.Tuple) else [target]
                for e in elts:
                    if isinstance(e, ast.Attribute) and e.attr == t.column and names_model:
                        yield node.lineno, f"obj.{t.column} = …"
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        method = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        if method in ("update", "create", "get_or_create") and t.column in keywords and ours(_root_model(func)):
            yield node.lineno, f".{method}({t.column}=…)"
        if method in ("update_or_create", "get_or_create", "update_or_create") and _has_key(keywords.get("defaults"), t.column):
            if ours(_root_model(func)):
                yield node.lineno, f".{method}(defaults={{'{t.column}': …}})"
        if method == t.model and t.column in keywords:
            yield node.lineno, f"{t.model}({t.column}=…)"
        if method == "bulk_update":
            fields = [*node.args[1:2], *([keywords["fields"]] if "fields" in keywords else [])]
            if any(_lists_column(f, t.column) for f in fields) and ours(_root_model(func)):
                yield node.lineno, f"bulk_update(…, ['{t.column}'])"
        if method == "setattr" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
            if node.args[1].value == t.column and names_model:
                yield node.lineno, f"setattr(obj, '{t.column}', …)"
        args = [*node.args, *keywords.values()]
        if any(isinstance(a, ast.Name) and a.id == t.model for a in args) and any(_has_key(a, t.column) for a in args):
            yield node.lineno, f"{method}({t.model}, {{'{t.column}': …}})"
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            sql = node.value.lower().replace('"', "")
            if "update" in sql and t.table in sql and f"set {t.column}" in sql.replace("  ", " "):
                yield node.lineno, "raw SQL UPDATE … SET"


def violations(path: Path, text: str, t: Target) -> list[str]:
    if _rel(path) in (t.home, ENGINE):
        return []
    lines = text.splitlines()
    found = []
    for line, what in writes(ast.parse(text), t, t.model in text):
        if f"{MARKER} " in lines[line - 1] and t.model not in lines[line - 1].split(MARKER, 1)[1]:
            continue  # declared to be about another model
        found.append(f"{_rel(path)}:{line}: {what} writes {t.model}.{t.column} outside the machine {t.machine!r}")
    return found


def test_the_machines_are_found() -> None:
    found = {t.machine: t for t in targets() if t.column == REGISTRY[t.machine].column}
    assert "renovation.case" in found and found["renovation.case"].home == "renovation/workflow.py"
    assert found["renovation.case"].model == "Case"
    assert {t.column for t in targets() if t.machine == "renovation.case"} == {"state", "on_hold"}


def test_no_code_writes_a_state_column_outside_its_machine() -> None:
    problems = []
    all_targets = targets()
    for path in source_files():
        text = path.read_text(encoding="utf-8")
        for t in all_targets:
            problems += violations(path, text, t)
    assert not problems, "state written outside Machine.move:\n" + "\n".join(problems)


PLANTED = """
from renovation.models import Case
def bad(case, qs, cases):
    Case.objects.filter(pk=1).update(state="paid")
    qs.update(state="paid")
    case.state = "paid"
    case.state, x = "paid", 1
    setattr(case, "state", "paid")
    Case.objects.create(state="paid")
    Case(state="paid").save()
    Case.objects.bulk_update(cases, ["state"])
    Case.objects.update_or_create(pk=1, defaults={"state": "paid"})
    update_ids(Case, [1], {"state": "paid"})
    cursor.execute('UPDATE "renovation_case" SET "state" = %s', ["paid"])
    qs.update(on_hold=True)
    Payment.objects.filter(pk=1).update(state="x")  # not-a-state-write: Payment
"""


def test_the_scan_catches_each_way_of_writing_a_state() -> None:
    """The scan itself, on planted code: every form of write is named with its line; another model's is not."""
    t = next(x for x in targets() if x.machine == "renovation.case" and x.column == "state")
    found = violations(ROOT / "planted.py", PLANTED, t)
    assert sorted(int(f.split(":")[1]) for f in found) == list(range(4, 15)), found
    assert violations(ROOT / t.home, PLANTED, t) == []  # the machine's own module may
    hold = next(x for x in targets() if x.machine == "renovation.case" and x.column == "on_hold")
    assert [int(f.split(":")[1]) for f in violations(ROOT / "planted.py", PLANTED, hold)] == [15]


@pytest.mark.django_db
@pytest.mark.parametrize("machine", sorted(REGISTRY))
def test_each_state_column_has_its_check_in_the_database(machine: str) -> None:
    """The check Machine.constraint declares is in the database's schema, on SQLite and PostgreSQL alike."""
    m: Machine = REGISTRY[machine]
    model = apps.get_model(m.model)
    column = model._meta.get_field(m.column).column
    with connection.cursor() as cur:
        found = connection.introspection.get_constraints(cur, model._meta.db_table)
    checks = [name for name, c in found.items() if c["check"] and (column in (c["columns"] or []) or "__" not in name)]
    declared = {c.name for c in model._meta.constraints if isinstance(c, CheckConstraint)}
    assert declared & set(found), f"{m.model}: no check constraint on {column} in the database ({checks})"


def test_the_database_refuses_an_unknown_case_state(village_user: Any, dangerous: Any) -> None:
    from renovation import services
    from renovation.models import Case

    case = services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(state="paid_in_cash")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(f'UPDATE "{Case._meta.db_table}" SET "state" = %s WHERE id = %s', ["", case.pk])
    case.refresh_from_db()
    assert case.state == "application"
