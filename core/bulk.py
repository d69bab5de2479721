"""Fast bulk writes for large imports: ids allocated up front, rows written as tuples.

PostgreSQL: ids from the table's sequence, rows through COPY. SQLite: ids after the current maximum
(safe because the write transaction holds SQLite's single write lock), rows through executemany.
Callers stay inside `transaction.atomic()`; nothing here commits.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, models
from psycopg import adapt
from psycopg._copy_base import format_row_text  # psycopg's C formatter behind Copy.write_row (pinned version)
from psycopg.abc import Transformer
from psycopg.types.numeric import Int8Dumper

from core.crypto import seal_pending


class JSONText(str):
    """A JSON column's value already written as JSON text: stored as it is, not encoded again."""


def _json(value: Any) -> Any:
    return value if value is None or isinstance(value, JSONText) else json.dumps(value, ensure_ascii=False)


_NEEDS_PREP = (models.DateTimeField, models.DateField, models.DecimalField, models.JSONField, models.UUIDField)


_SEQUENCES: dict[str, str] = {}  # table -> its id sequence (PostgreSQL)


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    if count <= 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column  # type: ignore[union-attr]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # the sequence is named once per process, as a constant (a call per row cost ~10 µs per id);
            # the ids come back as one array, not a row each
            if table not in _SEQUENCES:
                cur.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
                _SEQUENCES[table] = cur.fetchone()[0]
            cur.execute("SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s)", [_SEQUENCES[table], count])
            return list(cur.fetchone()[0])
        # AUTOINCREMENT never reuses the id of a deleted row; neither may we (audit trails name ids)
        sequence = "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0)"
        cur.execute(f'SELECT MAX({sequence}, COALESCE(MAX("{pk}"), 0)) FROM "{table}"', [table])
        start = cur.fetchone()[0] + 1
        return list(range(start, start + count))


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert tuples whose values follow `columns` (attnames, e.g. "household_id")."""
    fields = [next(f for f in model._meta.concrete_fields if f.attname == c) for c in columns]
    table = model._meta.db_table
    cols = ", ".join(f'"{f.column}"' for f in fields)
    count = 0
    if connection.vendor == "postgresql":
        json_idx = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
        # wrap_database_errors: a violated constraint raises Django's IntegrityError, as an ORM insert would
        with (
            connection.wrap_database_errors,
            connection.cursor() as cur,
            cur.cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy,
        ):
            for row in rows:
                if json_idx:
                    row = list(row)
                    for i in json_idx:
                        row[i] = _json(row[i])
                copy.write_row(row)
                count += 1
        return count
    prep = [(i, f) for i, f in enumerate(fields) if isinstance(f, _NEEDS_PREP)]
    batch: list[list[Any]] = []
    sql = f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join(["%s"] * len(fields))})'
    with connection.cursor() as cur:
        for row in rows:
            values = list(row)
            for i, f in prep:
                values[i] = values[i] if isinstance(values[i], JSONText) else f.get_db_prep_save(values[i], connection)
            batch.append(values)
            if len(batch) >= 2000:
                cur.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cur.executemany(sql, batch)
            count += len(batch)
    return count


Encoder = Callable[[Sequence[Any]], Any]


def row_encoder() -> Encoder:
    """How rows wait between being built and being written: on PostgreSQL already as lines of COPY
    text (psycopg's own formatter), so the thread that builds them also formats them and the thread
    that writes only sends them (core.overlap); elsewhere as the tuples themselves. Values with no
    id columns: `insert_encoded` puts the ids in front."""
    if connection.vendor != "postgresql":
        return tuple
    connection.ensure_connection()
    return copy_text_encoder(adapt.Transformer(_CopyContext(connection.connection)))


class _CopyContext:
    """The connection's adapters, with ints dumped as they are: psycopg's default int dumper picks
    a size for each value (int2, int4, int8 or numeric), half the cost of formatting an int, which
    matters to nobody in COPY text: the column decides (and refuses a value out of its range)."""

    def __init__(self, conn: Any) -> None:
        self.connection = conn
        self.adapters = adapt.AdaptersMap(conn.adapters)
        self.adapters.register_dumper(int, Int8Dumper)


def copy_text_encoder(tx: Transformer) -> Encoder:
    """Rows as lines of COPY text, each ending in a newline, by psycopg's formatter with `tx`'s dumpers."""

    def encode(row: Sequence[Any]) -> bytearray:
        line = bytearray()
        format_row_text(row, tx, line)
        return line

    return encode


def tail_encoder(encode: Encoder, tail: Sequence[Any]) -> Encoder:
    """`encode` for rows that all end with the same values (a batch's version and timestamps): the
    tail is encoded once, so `tail_encoder(encode, tail)(row) == encode((*row, *tail))` (a datetime
    cost COPY's formatter 2 µs per value per row)."""
    if encode is tuple:
        return lambda row: (*row, *tail)
    ending = b"\t" + bytes(encode(tail))  # with the row's closing newline

    def encode_with_tail(row: Sequence[Any]) -> Any:
        line = encode(row)
        line[-1:] = ending if len(row) else ending[1:]  # in place of the newline (no tab after no value)
        return line

    return encode_with_tail


def insert_encoded(model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple[tuple[int, ...], Any]]) -> int:
    """Insert rows made by a `row_encoder`, each given as (its leading id columns, the encoded rest)."""
    if connection.vendor != "postgresql":
        return insert_rows(model, columns, ((*ids, *rest) for ids, rest in rows))
    table = model._meta.db_table
    cols = ", ".join(f'"{next(f for f in model._meta.concrete_fields if f.attname == c).column}"' for c in columns)
    rows = list(rows)
    if rows:
        line = b"%d\t" * len(rows[0][0]) + b"%b"
        data = b"".join([line % (*ids, rest) for ids, rest in rows])
        with (
            connection.wrap_database_errors,
            connection.cursor() as cur,
            cur.cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy,
        ):
            copy.write(data)
    return len(rows)


def insert_instances(objs: Sequence[models.Model]) -> None:
    """Insert unsaved model instances of one model, assigning their ids (a fast `bulk_create`)."""
    if not objs:
        return
    model = type(objs[0])
    fields = list(model._meta.concrete_fields)
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    for obj, pk in zip(objs, allocate_ids(model, len(objs)), strict=True):
        obj.pk = pk
        seal_pending(obj)  # secrets set before the row had an id are sealed to it now
        for f in stamped:
            f.pre_save(obj, add=True)
        obj._state.adding = False
    columns = [f.attname for f in fields]
    insert_rows(model, columns, ([getattr(o, c) for c in columns] for o in objs))


def update_rows(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]], *, where: Sequence[str] = ()
) -> int:
    """UPDATE rows by primary key from tuples (pk, *values following `columns`, *values following
    `where`), all as attnames: one statement run for many rows (psycopg sends them in one pipeline on
    PostgreSQL). A row is updated only where its `where` columns still hold the given values; returns
    how many rows were updated, so a caller can tell that someone changed one meanwhile."""
    fields = [next(f for f in model._meta.concrete_fields if f.attname == c) for c in [*columns, *where]]
    sets = ", ".join(f'"{f.column}" = %s' for f in fields[: len(columns)])
    conds = "".join(f' AND "{f.column}" = %s' for f in fields[len(columns) :])
    sql = f'UPDATE "{model._meta.db_table}" SET {sets} WHERE "{model._meta.pk.column}" = %s{conds}'  # type: ignore[union-attr]
    params = []
    for row in rows:
        values = [f.get_db_prep_save(v, connection) for f, v in zip(fields, row[1:], strict=True)]
        params.append([*values[: len(columns)], row[0], *values[len(columns) :]])
    if not params:
        return 0
    with connection.cursor() as cur:
        cur.executemany(sql, params)
        return cur.rowcount


def update_ids(
    model: type[models.Model],
    ids: Sequence[int],
    values: dict[str, Any],
    where: dict[str, Any] | None = None,
    *,
    where_in: dict[str, Sequence[Any]] | None = None,
    increment: Sequence[str] = (),
) -> int:
    """UPDATE rows by primary key: one statement per 50,000 ids on PostgreSQL (the ids travel as one array
    parameter), chunks of 500 on SQLite. `values` and `where` use attnames; `where_in` keeps only rows
    whose column holds one of a few values (a state machine's sources); `increment` adds 1 to columns."""
    if not ids:
        return 0
    table, pk = model._meta.db_table, model._meta.pk.column  # type: ignore[union-attr]
    columns = {f.attname: f for f in model._meta.concrete_fields}
    sets = ", ".join(
        [
            *(f'"{columns[k].column}" = %s' for k in values),
            *(f'"{columns[k].column}" = "{columns[k].column}" + 1' for k in increment),
        ]
    )
    conds = "".join(f' AND "{columns[k].column}" = %s' for k in (where or {}))
    extra = [columns[k].get_db_prep_save(v, connection) for k, v in (where or {}).items()]
    for k, options in (where_in or {}).items():
        conds += f' AND "{columns[k].column}" IN ({", ".join(["%s"] * len(options))})'
        extra += [columns[k].get_db_prep_save(v, connection) for v in options]
    params = [columns[k].get_db_prep_save(v, connection) for k, v in values.items()]
    count = 0
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":  # a join with the unnested array (`= ANY(param)` is searched row by row)
            conds = conds.replace(' AND "', ' AND t."')
            for start in range(0, len(ids), 50000):
                cur.execute(
                    f'UPDATE "{table}" AS t SET {sets} FROM unnest(%s::bigint[]) AS u(id) WHERE t."{pk}" = u.id{conds}',
                    [*params, list(ids[start : start + 50000]), *extra],
                )
                count += cur.rowcount
        else:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                marks = ", ".join(["%s"] * len(chunk))
                cur.execute(f'UPDATE "{table}" SET {sets} WHERE "{pk}" IN ({marks}){conds}', [*params, *chunk, *extra])
                count += cur.rowcount
    return count


@contextlib.contextmanager
def bulk_gc() -> Iterator[None]:
    """Fewer cyclic garbage collections while a bulk job builds many small objects: objects alive
    at the start are frozen out of the scans and the youngest generation is collected when 70,000
    (not 700) more objects are alive than at the last collection (an import spent a fifth of its
    Python time in the collector; at 7,000 it still collected every 600 rows, scanning the chunk's
    live rows each time: 7 µs of CPU per imported row, now under 1). Restored afterwards."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(thresholds[0] * 100, thresholds[1], thresholds[2])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
