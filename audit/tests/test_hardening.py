"""PostgreSQL: after `harden_audit_pg`, the application's role (a non-superuser, as production runs
it) may read and append to the audit tables and nothing else. The tests' own connection is the
superuser `root`, so the refusals are shown on a second connection made as the application role."""

from __future__ import annotations

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.guards import TABLES
from audit.hardening import OWNER, statements
from audit.services import record

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL roles and privileges")

APP_ROLE = "anju_app_test"


def _app_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    return psycopg.connect(
        host=params.get("host") or "127.0.0.1", port=params.get("port") or 5432, dbname=params["dbname"],
        user=APP_ROLE, autocommit=True,
    )  # fmt: skip


def _refused(app: psycopg.Connection, sql: str) -> str:
    with pytest.raises(psycopg.Error) as caught:
        app.execute(sql)
    return str(caught.value)


@pytest.fixture
def app_role(transactional_db):
    with connection.cursor() as cur:
        cur.execute(f"DO $$ BEGIN CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    call_command("harden_audit_pg", app_role=APP_ROLE)
    app = _app_connection()
    yield app
    app.close()


def test_the_application_role_can_read_and_append_but_not_rewrite(app_role):
    event = record("test.event", object_id="1", after={"n": 1})
    app = app_role
    with connection.cursor() as cur:
        cur.execute("SELECT tableowner FROM pg_tables WHERE tablename = ANY(%s)", [list(TABLES)])
        assert {row[0] for row in cur.fetchall()} == {OWNER}
    # what the application does: read, take ids from the sequences, append (audit.services, audit.access)
    assert app.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0] >= 1
    new_id = app.execute("SELECT nextval(pg_get_serial_sequence('audit_auditevent', 'id'))").fetchone()[0]
    app.execute(
        "INSERT INTO audit_accesslog (at, actor_name, ip, source, request_id, region_code, object_type, object_id, "
        "object_ids, count, fields, path) VALUES (now(), 'x', '', '', '', '', 'households.household', '1', '[]', 0, '[]', '')"
    )
    assert new_id > event.id
    # what an attacker holding the application's credentials tries
    for table in TABLES:
        assert "permission denied" in _refused(app, f"TRUNCATE {table}")
        assert "permission denied" in _refused(app, f"DELETE FROM {table}")
        assert "must be owner" in _refused(app, f"ALTER TABLE {table} DISABLE TRIGGER USER")
        assert "must be owner" in _refused(app, f"DROP TABLE {table}")
    assert "permission denied" in _refused(app, f"UPDATE audit_auditevent SET verb = 'x' WHERE id = {event.id}")
    assert "must be owner" in _refused(app, "DROP TRIGGER audit_no_update ON audit_auditevent")
    assert "must be owner" in _refused(app, "ALTER FUNCTION audit_append_only() RENAME TO x")
    assert "permission denied" in _refused(
        app, "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS 'BEGIN RETURN NEW; END' LANGUAGE plpgsql"
    )
    assert "must be owner" in _refused(app, f"ALTER TABLE audit_auditevent OWNER TO {APP_ROLE}")
    assert "permission denied" in _refused(app, f"SET ROLE {OWNER}")
    assert app.execute("SELECT verb FROM audit_auditevent WHERE id = %s", [event.id]).fetchone()[0] == "test.event"


def test_owning_the_schema_does_not_let_the_application_drop_the_audit_tables(app_role):
    """A database owner owns `public` and so may drop any table in it: the event trigger refuses."""
    with connection.cursor() as cur:
        cur.execute(f"ALTER SCHEMA public OWNER TO {APP_ROLE}")
    try:
        for table in TABLES:
            assert "cannot be dropped" in _refused(app_role, f"DROP TABLE {table}")
        assert "cannot be dropped" in _refused(app_role, "DROP FUNCTION audit_append_only() CASCADE")
    finally:
        with connection.cursor() as cur:
            cur.execute("ALTER SCHEMA public OWNER TO pg_database_owner")


def test_a_truncate_is_refused_by_the_trigger_even_to_a_table_owner(app_role):
    """Belt and braces: a deployment where the application still owned the tables."""
    record("test.event")
    with connection.cursor() as cur:
        cur.execute(f"ALTER TABLE audit_auditevent OWNER TO {APP_ROLE}")
    try:
        assert "cannot be truncated" in _refused(app_role, "TRUNCATE audit_auditevent")
        assert "append-only" in _refused(app_role, "DELETE FROM audit_auditevent")
        assert "append-only" in _refused(app_role, "UPDATE audit_auditevent SET verb = 'x'")
    finally:
        with connection.cursor() as cur:
            cur.execute(f"ALTER TABLE audit_auditevent OWNER TO {OWNER}")


def test_hardening_refuses_a_superuser_application_role_and_bad_names(transactional_db):
    with pytest.raises(CommandError, match="超级用户"):
        call_command("harden_audit_pg", app_role="root")
    with pytest.raises(CommandError, match="不合法"):
        call_command("harden_audit_pg", app_role="x; DROP TABLE audit_auditevent")
    assert any("GRANT SELECT, INSERT ON audit_auditevent TO anju" in s for s in statements("anju"))
