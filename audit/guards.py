"""Database-level guard: audit rows cannot be updated (both databases) or deleted (PostgreSQL).

SQLite keeps the DELETE guard in the ORM only, because Django's test flush on SQLite deletes rows;
the hash chain still exposes any deletion in the middle of the log (verify_audit).

SQLite rebuilds a table to alter a column, which drops its triggers: every migration that alters
audit_auditevent ends with `reinstall`.
"""

from __future__ import annotations

from typing import Any

PG_UP = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit_auditevent
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
"""
PG_DOWN = "DROP TRIGGER IF EXISTS audit_no_update ON audit_auditevent; DROP FUNCTION IF EXISTS audit_append_only();"
SQLITE_UP = """
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_auditevent
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS audit_no_update;"


def install(apps: Any, schema_editor: Any) -> None:
    sql = PG_UP if schema_editor.connection.vendor == "postgresql" else SQLITE_UP
    schema_editor.execute(sql)


def remove(apps: Any, schema_editor: Any) -> None:
    sql = PG_DOWN if schema_editor.connection.vendor == "postgresql" else SQLITE_DOWN
    schema_editor.execute(sql)


def reinstall(apps: Any, schema_editor: Any) -> None:
    """After a table rebuild on SQLite (PostgreSQL keeps triggers across ALTER TABLE)."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)
        schema_editor.execute(SQLITE_UP)
