#!/usr/bin/env bash
# Mutation testing of the rule modules (docs/testing.md): `make mutation`, or
#   scripts/mutation.sh [MODULE …]        e.g. scripts/mutation.sh inspections/grading.py core/masking.py
# Each module of [tool.anju.mutation] in pyproject.toml is run by mutmut in its own folder
# $MUTATION_DIR/<module>/ (default /tmp/anju-mutation-<checkout>/): links to the project and a
# pyproject.toml whose [tool.mutmut] mutates only that module and selects only its tests, so a module's
# mutants meet only the tests that judge it, and mutmut's copy (mutants/) never lands in the work tree.
# Bounds: MUTATION_TIMEOUT seconds per module (default 900), MUTATION_JOBS workers (default 1: two
# cores are shared, and the SQLite test database is one file). Prints each module's score and the
# surviving mutants, then applies the module's [[tool.anju.table_mutants]] (mutmut leaves tables
# alone); fails when a score is below MUTATION_MIN per cent (default 90) or a table mutant survives.
# Read a survivor with  (cd $MUTATION_DIR/<module> && <checkout>/.venv/bin/mutmut show <name>)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
MUTMUT=$ROOT/.venv/bin/mutmut
TIMEOUT=${MUTATION_TIMEOUT:-900}
JOBS=${MUTATION_JOBS:-1}
MIN=${MUTATION_MIN:-90}
# Outside the work tree: tools that walk the tree (tests/test_state_writes.py, grep) never meet the copies.
WORK=${MUTATION_DIR:-${TMPDIR:-/tmp}/anju-mutation-$(basename "$ROOT")}
if [ "$#" -eq 0 ]; then
    mapfile -t modules < <(.venv/bin/python -c '
import tomllib
print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["tool"]["anju"]["mutation"]))')
    set -- "${modules[@]}"
fi
status=0
summary=()
for module in "$@"; do
    dotted=${module%.py}
    dotted=${dotted//\//.}
    work=$WORK/$dotted
    rm -rf "$work" && mkdir -p "$work"
    # The folder: the project's files by link, and a pyproject.toml for this module alone.
    .venv/bin/python - "$module" "$work" <<'PY' || { status=1; continue; }
import json, sys, tomllib
from pathlib import Path

module, work = sys.argv[1], Path(sys.argv[2])
text = Path("pyproject.toml").read_text("utf-8")
config = tomllib.loads(text)
tests = config["tool"]["anju"]["mutation"].get(module)
if tests is None:
    sys.exit(f"{module}: not in [tool.anju.mutation] of pyproject.toml")
mutmut = dict(config["tool"]["mutmut"], only_mutate=[module], pytest_add_cli_args_test_selection=tests)
start = text.index("[tool.pytest.ini_options]")
pytest_section = text[start : text.index("\n[", start)]
lines = [pytest_section, "", "[tool.mutmut]"] + [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in mutmut.items()]
(work / "pyproject.toml").write_text("\n".join(lines) + "\n", "utf-8")
for name in [*mutmut["source_paths"], *mutmut["also_copy"], "tests"]:
    (work / name).symlink_to(Path.cwd() / name)
PY
    echo "== $dotted ($(date -u +%H:%M:%S))"
    (cd "$work" && timeout --signal=INT "$TIMEOUT" "$MUTMUT" run --max-children "$JOBS" >run.log 2>&1) \
        || echo "   mutmut ended with $? (see $work/run.log)"
    (cd "$work" && "$MUTMUT" results --all true 2>/dev/null) | grep -F "$dotted." >"$work/results.txt"
    total=$(grep -c . "$work/results.txt")
    killed=$(grep -c -E ': (killed|timeout|caught by type check)$' "$work/results.txt")
    grep -v -E ': (killed|timeout|caught by type check)$' "$work/results.txt" | sed 's/^ */   /'
    if [ "$total" -eq 0 ]; then
        line="$dotted: no mutants (see $work/run.log)"
        status=1
    else
        per_mille=$((killed * 1000 / total))
        line=$(printf '%s: %d of %d mutants killed = %d.%d %%' "$dotted" "$killed" "$total" $((per_mille / 10)) $((per_mille % 10)))
        [ "$per_mille" -ge $((MIN * 10)) ] || status=1
    fi
    echo "$line"
    summary+=("$line")
    # The module's tables (mutmut leaves them alone): each listed change, alone, on a copy of the project.
    tables=$(.venv/bin/python - "$module" "$work" <<'PY'
import os, shutil, subprocess, sys, tomllib
from pathlib import Path

module, work = sys.argv[1], Path(sys.argv[2])
config = tomllib.loads(Path("pyproject.toml").read_text("utf-8"))
mutants = [m for m in config["tool"]["anju"].get("table_mutants", []) if m["module"] == module]
if not mutants:
    sys.exit(0)
tests = config["tool"]["anju"]["mutation"][module]
copy = work / "tables"
shutil.rmtree(copy, ignore_errors=True)
copy.mkdir()
for item in os.listdir(work):
    if item not in ("mutants", "tables") and (work / item).is_symlink():
        source = (work / item).resolve()
        if source.is_dir():
            shutil.copytree(source, copy / item, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / item)
shutil.copy2(work / "pyproject.toml", copy / "pyproject.toml")
killed = 0
for m in mutants:
    target = copy / m.get("file", module)  # a table the module reads from another file (renovation.rules)
    original = target.read_text("utf-8")
    if original.count(m["old"]) != 1:
        print(f"   table mutant not applicable (the text is not found once): {m['what']}", file=sys.stderr)
        continue
    target.write_text(original.replace(m["old"], m["new"]), "utf-8")
    try:
        run = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests], cwd=copy,
                             capture_output=True, timeout=600)
        dead = run.returncode != 0
    except subprocess.TimeoutExpired:
        dead = True
    target.write_text(original, "utf-8")
    killed += dead
    print(f"   table mutant {'killed' if dead else 'SURVIVED'}: {m['what']}", file=sys.stderr)
print(f"{killed} {len(mutants)}")
PY
)
    if [ -n "$tables" ]; then
        read -r tkilled ttotal <<<"$tables"
        line="$dotted: $tkilled of $ttotal table mutants killed"
        [ "$tkilled" -eq "$ttotal" ] || status=1
        echo "$line"
        summary+=("$line")
    fi
done
echo
echo "Mutation scores (minimum $MIN %):"
printf '  %s\n' "${summary[@]}"
exit $status
