"""The import against the raw limit for the same writes (issue 13).

For N rounds, alternately, each on a fresh copy of a template database (`CREATE DATABASE … TEMPLATE`):

(a) the full import of a file of new households through the real pipeline
    (`exchange.household_import.parse_file` + `run`, as `bench/bench_import.py` runs it), timed in
    a child process from opening the file to the last commit; the rows it wrote (every table whose
    highest id grew: households, houses, categories, members, audit events …) are then dumped with
    `COPY … TO`;
(b) `psql \\copy` of exactly those rows into the same tables of another fresh copy (same indexes,
    constraints and triggers), in one transaction on one connection, timed; and the same rows split
    in two halves (by audit event, each household with the event that names it and its own rows) sent
    by two connections in parallel, reported separately.

Printed per round: import s, raw s and the ratio raw s / import s (the import's throughput as a
share of the raw limit's); at the end min and median per format. Load averages are printed with each
round: the machine is shared.

    DATABASE_URL=postgres://root@127.0.0.1:5432/h_perf_tpl .venv/bin/python bench/bench_import_ratio.py \\
        --households 150000 --rows 100000 --rounds 3 --format both
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common import OUT, ROOT

PY = str(ROOT / ".venv" / "bin" / "python")
DUMP = OUT / "ratio_dump"


def _url(url: str, db: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + db))


def _psql_args(url: str) -> list[str]:
    parts = urlsplit(url)
    args = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    if parts.username:
        args += ["-U", parts.username]
    return args


class Cluster:
    def __init__(self, url: str) -> None:
        self.url = url
        self.template = urlsplit(url).path.lstrip("/")
        self.run_db = self.template + "_run"

    def psql(self, db: str, sql: str, *, capture: bool = True) -> str:
        done = subprocess.run([*_psql_args(self.url), "-At", "-d", db, "-c", sql], check=True, capture_output=capture, text=True)
        return done.stdout if capture else ""

    def fresh_copy(self) -> str:
        """A new copy of the template as the run database, checkpointed, so every run starts alike."""
        self.psql("postgres", f'DROP DATABASE IF EXISTS "{self.run_db}" WITH (FORCE)')
        for attempt in range(20):  # the template may be in use for a moment (a connection closing)
            try:
                self.psql("postgres", f'CREATE DATABASE "{self.run_db}" TEMPLATE "{self.template}" STRATEGY FILE_COPY')
                break
            except subprocess.CalledProcessError:
                if attempt == 19:
                    raise
                time.sleep(3)
        self.psql(self.run_db, "CHECKPOINT")
        return self.run_db

    def tables(self, db: str) -> dict[str, int]:
        """Every table with an integer `id` column and its highest id."""
        names = self.psql(
            db,
            "SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t "
            "USING (table_schema, table_name) WHERE c.table_schema = 'public' AND c.column_name = 'id' "
            "AND t.table_type = 'BASE TABLE' AND c.data_type IN ('integer', 'bigint') ORDER BY 1",
        ).split()
        sql = " UNION ALL ".join(f"SELECT '{n}', COALESCE(MAX(id), 0) FROM \"{n}\"" for n in names)
        return {name: int(top) for name, top in (line.split("|") for line in self.psql(db, sql).splitlines())}

    def columns(self, db: str, table: str) -> list[str]:
        return self.psql(
            db,
            f"SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
            f"AND table_name = '{table}' ORDER BY ordinal_position",
        ).split()


def child_import(path: str) -> None:
    """In a child process on the run database: the import, timed, as bench_import.py runs it."""
    sys.path.insert(0, str(ROOT / "bench"))
    from common import BENCH_USER, setup_django

    setup_django()
    from accounts.models import User
    from core.context import ActionContext, acting
    from exchange import household_import

    if os.environ.get("BENCH_NO_PIN"):  # an experiment: the overlap's threads left to the scheduler
        import core.overlap

        core.overlap._pin = lambda: None  # type: ignore[assignment]
    user = User.objects.get(username=BENCH_USER)
    start, cpu = time.perf_counter(), time.process_time()
    with acting(ActionContext(source="command")):
        parsed = household_import.parse_file(Path(path), Path(path).name, user)
        totals = household_import.run(parsed, user=user)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "python_cpu": time.process_time() - cpu, **totals.as_dict()}))


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


Dump = dict[str, tuple[list[str], Path, int]]  # table -> its columns, the file of its rows, how many


def run_import(cluster: Cluster, path: Path, tops: dict[str, int]) -> tuple[dict[str, object], Dump]:
    """Import into a fresh copy, then dump what it wrote; returns the child's figures and the dump."""
    db = cluster.fresh_copy()
    env = {**os.environ, "DATABASE_URL": _url(cluster.url, db)}
    done = subprocess.run([PY, __file__, "--child-import", str(path)], env=env, check=True, capture_output=True, text=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    DUMP.mkdir(parents=True, exist_ok=True)
    written: Dump = {}
    for table, top in cluster.tables(db).items():
        if top <= tops.get(table, 0):
            continue
        cols = cluster.columns(db, table)
        file = DUMP / f"{table}.copy"
        names = ", ".join(f'"{c}"' for c in cols)
        with file.open("w") as fh:
            subprocess.run([*_psql_args(cluster.url), "-d", db, "-c",
                            f'COPY (SELECT {names} FROM "{table}" WHERE id > {tops.get(table, 0)} ORDER BY id) TO STDOUT'],
                           check=True, stdout=fh)  # fmt: skip
        count = sum(1 for _ in file.open())
        written[table] = (cols, file, count)
    return figures, written


def _script(parts: dict[str, tuple[list[str], Path]]) -> str:
    """psql's input: every table's rows in one transaction (the foreign keys are checked at commit)."""
    lines = ["BEGIN;"]
    for table, (cols, file) in parts.items():
        lines.append(f"\\copy \"{table}\" ({', '.join(chr(34) + c + chr(34) for c in cols)}) FROM '{file}'")
    lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


def raw_one(cluster: Cluster, written: Dump) -> float:
    db = cluster.fresh_copy()
    script = _script({t: (cols, file) for t, (cols, file, _n) in written.items()})
    start = time.perf_counter()
    subprocess.run([*_psql_args(cluster.url), "-d", db], input=script, text=True, check=True)
    return time.perf_counter() - start


def split_halves(written: Dump) -> list[dict[str, tuple[list[str], Path]]]:
    """The rows in two self-contained halves: audit events by id parity, each household with the
    half of the event that created it, each household's rows (houses, categories, members) with it."""
    half_of: dict[str, dict[str, int]] = {"audit_auditevent": {}, "households_household": {}}
    halves: list[dict[str, tuple[list[str], Path]]] = [{}, {}]
    order = sorted(written, key=lambda t: (t != "audit_auditevent", t != "households_household", t))
    for table in order:
        cols, file, _n = written[table]
        outs = [(DUMP / f"{table}.{i}.copy").open("w") for i in (0, 1)]
        for line in file.open():
            values = line.rstrip("\n").split("\t")
            row = dict(zip(cols, values, strict=False))
            if table == "audit_auditevent":
                half = int(row["id"]) % 2
                half_of[table][row["id"]] = half
            elif table == "households_household":
                half = half_of["audit_auditevent"].get(row["creation_event_id"], int(row["id"]) % 2)
                half_of[table][row["id"]] = half
            elif "household_id" in row:
                half = half_of["households_household"].get(row["household_id"], 0)
            else:
                half = int(row["id"]) % 2
            outs[half].write(line)
        for i, out in enumerate(outs):
            out.close()
            halves[i][table] = (cols, DUMP / f"{table}.{i}.copy")
    return halves


def raw_two(cluster: Cluster, halves: list[dict[str, tuple[list[str], Path]]]) -> float:
    db = cluster.fresh_copy()
    start = time.perf_counter()
    procs = [subprocess.Popen([*_psql_args(cluster.url), "-d", db], stdin=subprocess.PIPE, text=True) for _ in halves]
    for proc, half in zip(procs, halves, strict=True):
        assert proc.stdin is not None
        proc.stdin.write(_script(half))
        proc.stdin.close()
    for proc in procs:
        if proc.wait() != 0:
            raise SystemExit("psql failed")
    return time.perf_counter() - start


def ensure_template(cluster: Cluster, households: int, rows: int) -> dict[str, Path]:
    """The template (bench/setup_db.py, VACUUM ANALYZE) and the files of new households."""
    env = {**os.environ, "DATABASE_URL": cluster.url}
    try:
        have = int(cluster.psql(cluster.template, "SELECT COUNT(*) FROM households_household"))
    except subprocess.CalledProcessError:
        have = 0  # no template yet
    if have < households:
        subprocess.run([PY, str(ROOT / "bench" / "setup_db.py"), "--households", str(households)], env=env, check=True)
        cluster.psql(cluster.template, "VACUUM ANALYZE")
    files = {fmt: OUT / f"households_{rows}.{fmt}" for fmt in ("csv", "xlsx")}
    stamp = OUT / f"households_{rows}.{cluster.template}"
    if not stamp.exists() or not all(f.exists() for f in files.values()):
        subprocess.run([PY, str(ROOT / "bench" / "make_files.py"), "--rows", str(rows), "--seed", "900001"], env=env, check=True)
        stamp.write_text(str(households))
    return files


def summary(name: str, values: list[float]) -> str:
    return f"{name} min {min(values):.3f} median {statistics.median(values):.3f} max {max(values):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child-import")
    parser.add_argument("--households", type=int, default=150000, help="households in the template")
    parser.add_argument("--rows", type=int, default=100000, help="new households in the imported file")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--format", choices=["csv", "xlsx", "both"], default="both")
    parser.add_argument("--no-two", action="store_true", help="skip the two-connection raw run")
    args = parser.parse_args()
    if args.child_import:
        child_import(args.child_import)
        return
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("DATABASE_URL must name the PostgreSQL template database")
    cluster = Cluster(url)
    files = ensure_template(cluster, args.households, args.rows)
    tops = cluster.tables(cluster.template)
    formats = ["csv", "xlsx"] if args.format == "both" else [args.format]
    results: dict[str, list[tuple[float, float]]] = {f: [] for f in formats}
    two: list[float] = []
    for n in range(1, args.rounds + 1):
        for fmt in formats:
            before = load()
            figures, written = run_import(cluster, files[fmt], tops)
            raw = raw_one(cluster, written)
            households = written.get("households_household", ([], Path(), 0))[2]
            seconds = float(figures["seconds"])  # type: ignore[arg-type]
            results[fmt].append((seconds, raw))
            line = {
                "round": n, "format": fmt, "households": households, "import_s": round(seconds, 2),
                "import_per_s": round(households / seconds), "raw_s": round(raw, 2), "raw_per_s": round(households / raw),
                "ratio": round(raw / seconds, 3), "python_cpu_s": round(float(figures["python_cpu"]), 1),  # type: ignore[arg-type]
                "rows_written": {t: c for t, (_cols, _f, c) in written.items()}, "load": f"{before} -> {load()}",
            }  # fmt: skip
            if not args.no_two and fmt == formats[0]:
                secs = raw_two(cluster, split_halves(written))
                two.append(secs)
                line["raw_two_connections_s"] = round(secs, 2)
                line["raw_two_per_s"] = round(households / secs)
            print(json.dumps(line), flush=True)
    for fmt, pairs in results.items():
        print(f"{fmt}: " + summary("import s", [p[0] for p in pairs]) + "; " + summary("raw s", [p[1] for p in pairs])
              + "; " + summary("ratio", [raw / imp for imp, raw in pairs]))  # fmt: skip
    if two:
        print(summary("raw, two connections, s", two))


if __name__ == "__main__":
    main()
