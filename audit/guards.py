"""Database-level guards: audit rows cannot be updated (both databases), deleted or truncated
(PostgreSQL). The tables are the events, the access log and the anchors.

SQLite keeps the DELETE guard in the ORM only, because Django's test flush on SQLite deletes rows;
the keyed chain and the anchors still expose any deletion (verify_audit). On PostgreSQL a TRUNCATE
is refused to every role but a superuser (Django's test flush truncates as one; a superuser could
drop the trigger anyway). These triggers are belt and braces: in production the tables belong to a
role the application does not use, which alone refuses UPDATE, DELETE, TRUNCATE and DISABLE TRIGGER
to the application (audit.hardening).

SQLite rebuilds a table to alter a column, which drops its triggers: every migration that alters
an audit table ends with `reinstall` (or `reinstall_all`).
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

# Issue 11: the access log and the anchors, and TRUNCATE on PostgreSQL.
MORE_TABLES = ("audit_accesslog", "audit_auditanchor")
TABLES = ("audit_auditevent", *MORE_TABLES)
PG_NO_TRUNCATE = """
CREATE OR REPLACE FUNCTION audit_no_truncate() RETURNS trigger AS $$
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    RAISE EXCEPTION 'audit tables cannot be truncated';
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def _pg_more_up() -> str:
    rows = "".join(
        f"CREATE TRIGGER {t}_no_update BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION audit_append_only();\n"
        for t in MORE_TABLES
    )
    truncate = "".join(
        f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate();\n"
        for t in TABLES
    )
    return PG_NO_TRUNCATE + rows + truncate


def _pg_more_down() -> str:
    drops = "".join(f"DROP TRIGGER IF EXISTS {t}_no_update ON {t};\n" for t in MORE_TABLES)
    drops += "".join(f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t};\n" for t in TABLES)
    return drops + "DROP FUNCTION IF EXISTS audit_no_truncate();"


def _sqlite_more(up: bool) -> list[str]:
    sql = []
    for t in MORE_TABLES:
        sql.append(f"DROP TRIGGER IF EXISTS {t}_no_update;")
        if up:
            guard = "BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;"
            sql.append(f"CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} {guard}")
    return sql


def install(apps: Any, schema_editor: Any) -> None:
    sql = PG_UP if schema_editor.connection.vendor == "postgresql" else SQLITE_UP
    schema_editor.execute(sql)


def remove(apps: Any, schema_editor: Any) -> None:
    sql = PG_DOWN if schema_editor.connection.vendor == "postgresql" else SQLITE_DOWN
    schema_editor.execute(sql)


def install_more(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_pg_more_up())
    else:
        for sql in _sqlite_more(up=True):
            schema_editor.execute(sql)


def remove_more(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_pg_more_down())
    else:
        for sql in _sqlite_more(up=False):
            schema_editor.execute(sql)


def reinstall(apps: Any, schema_editor: Any) -> None:
    """After a table rebuild on SQLite (PostgreSQL keeps triggers across ALTER TABLE)."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)
        schema_editor.execute(SQLITE_UP)
