"""Every action code an event is recorded with has a Chinese name (audit.labels.VERBS): the test
reads the code base itself, every `record(...)` and `Event(...)` call, rather than a list kept by
hand, so a new action without a name fails here."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from audit.labels import VERBS, field_label, object_type_choices, object_type_label, source_label, value_label, verb_choices

ROOT = Path(settings.BASE_DIR)
SKIPPED = {".venv", "node_modules", "migrations", "tests", "var", "static", "bench"}
CALLS = {"record", "Event"}


def _sources() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if SKIPPED & set(parts) or path.name.startswith("test_") or path.name == "conftest.py":
            continue
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def _names(tree: ast.Module) -> dict[str, list[ast.expr]]:
    """Every value assigned to a plain name in the module (constants, and locals such as `verb`)."""
    names: dict[str, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            names.setdefault(node.target.id, []).append(node.value)
    return names


def _imported(name: str, tree: ast.Module) -> list[ast.expr]:
    """A constant imported from another module of the project (`from audit.sealing import RESTART`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and any(a.name == name for a in node.names):
            module = ROOT / Path(*node.module.split(".")).with_suffix(".py")
            if module.exists():
                return _names(ast.parse(module.read_text(encoding="utf-8"))).get(name, [])
    return []


def _expansions() -> dict[str, list[str]]:
    """Action codes built at run time, by what they are built from."""
    from renovation import workflow

    steps = getattr(workflow, "BY_ACTION", None) or {}
    return {"renovation.{action}": [f"renovation.{a}" for a in steps]}


def _verbs(node: ast.expr, tree: ast.Module, seen: int = 0) -> list[str] | None:
    """The codes an argument can hold; None when they cannot be told from the source."""
    if seen > 5:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        a, b = _verbs(node.body, tree, seen + 1), _verbs(node.orelse, tree, seen + 1)
        return None if a is None or b is None else a + b
    if isinstance(node, ast.Name):
        values = _names(tree).get(node.id) or _imported(node.id, tree)
        found = [_verbs(v, tree, seen + 1) for v in values]
        if not found or any(f is None for f in found):
            return None
        return [v for f in found if f for v in f]
    if isinstance(node, ast.JoinedStr):
        pattern = "".join(
            p.value if isinstance(p, ast.Constant) else "{" + ast.unparse(p.value) + "}"
            for p in node.values  # type: ignore[attr-defined]
        )
        return _expansions().get(pattern)
    return None


def _recorded() -> tuple[dict[str, str], list[str]]:
    """Every action code of the code base, with where it is recorded; and the calls whose code is
    not written out in the source (each must be known to this test)."""
    codes: dict[str, str] = {}
    unknown: list[str] = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name not in CALLS:
                continue
            arg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "verb"), None)
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if arg is None:
                if node.keywords or node.args:
                    unknown.append(where)
                continue  # threading.Event() and the like
            found = _verbs(arg, tree)
            if found is None:
                unknown.append(f"{where} {ast.unparse(arg)}")
                continue
            for code in found:
                codes.setdefault(code, where)
    return codes, unknown


# Calls that pass a code through: `record` itself, and the export job recording its kind's verb
# (checked below from exchange.exports.KINDS).
# A workflow step is recorded by its action, named by the step's own label (renovation.apps registers them).
PASSED_THROUGH = {
    "audit/services.py verb",
    "exchange/tasks.py kind.verb",
    "renovation/services.py f'renovation.{step.action}'",
    "funds/standards.py f'funds.exception_{action}'",
}


def test_every_recorded_action_has_a_chinese_label() -> None:
    codes, unknown = _recorded()
    assert "auth.login" in codes and "household.create_batch" in codes  # the walk finds calls at all
    unknown = [u for u in unknown if " ".join((u.split(":")[0], u.split(" ", 1)[-1])) not in PASSED_THROUGH]
    assert unknown == [], f"action codes this test cannot read: {unknown}"
    from funds.workflow import EXCEPTION
    from renovation.workflow import MACHINE

    codes.update({f"renovation.{step.action}": "renovation/workflow.py" for step in MACHINE.steps})
    codes.update({f"funds.exception_{step.action}": "funds/workflow.py" for step in EXCEPTION.steps})
    missing = {code: where for code, where in codes.items() if code not in VERBS}
    assert missing == {}, f"action codes without a Chinese label in audit/labels.py VERBS: {missing}"


def test_the_codes_noted_missing_last_time_are_named() -> None:
    for code in ("field.photo_refused", "files.purge", "crypto.rotate_field_key"):
        assert code in _recorded()[0], code
        assert str(VERBS[code]) and not str(VERBS[code]).isascii()


def test_every_export_kind_names_its_action() -> None:
    from exchange.exports import KINDS

    assert {k.verb for k in KINDS.values()} <= set(VERBS)


def test_every_label_is_chinese_and_the_drop_down_offers_each_once() -> None:
    assert all(not str(label).isascii() for label in VERBS.values())
    offered = [v for v, _label in verb_choices() if not isinstance(_label, list)]
    offered += [v for _group, items in verb_choices() if isinstance(items, list) for v, _l in items]
    assert len(offered) == len(set(offered))
    assert set(VERBS) <= set(offered)


def test_object_types_fields_and_sources_by_name() -> None:
    assert object_type_label("households.household") == "农户"
    assert object_type_label("renovation.case") not in ("renovation.case", "")
    assert object_type_label("file") == "导入文件"
    assert field_label("family_size", "households.household") == "家庭人口"
    assert field_label("source", "households.householdcategory") == "认定部门"
    assert field_label("source", "inspections.inspection") == "途径"
    assert value_label("source", "field", "inspections.inspection") == "现场采集"
    assert value_label("source", "web", "inspections.inspection") == "网页"
    assert value_label("source", "api", "inspections.inspection") == "接口"
    names = [str(label) for _code, label in object_type_choices()]
    assert all(not n.isascii() for n in names), names
    assert "会话" not in names and "内容类型" not in names  # Django's own tables are not audited objects
    for source in ("ui", "api", "import", "command", "export", "system"):  # core.context.ActionContext.source
        assert not source_label(source).isascii(), source
