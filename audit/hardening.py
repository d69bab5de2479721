"""PostgreSQL: the audit tables owned by a role the application does not use (docs/operations.md).

`statements(app_role)` is the whole script; `manage.py harden_audit_pg --app-role ROLE` runs it as a
superuser (or prints it with `--sql` for a DBA to run in psql). Afterwards the application's role
holds only SELECT and INSERT on the audit tables (and USAGE on their id sequences): TRUNCATE,
DELETE, UPDATE, ALTER TABLE (DISABLE TRIGGER), DROP TRIGGER are an owner's rights and are refused to
it. A schema's owner may still DROP a table in its schema, so an event trigger refuses dropping an
audit table, trigger or guard function to every role but a superuser. The script can be run again
(after a migration that adds or alters an audit table, run as the superuser).
"""

from __future__ import annotations

import re

from audit.guards import TABLES

OWNER = "anju_audit_owner"
SEQUENCE_TABLES = ("audit_auditevent", "audit_accesslog")  # the anchors' key is their own sequence number
FUNCTIONS = ("audit_append_only()", "audit_no_truncate()")
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

NO_DROP = r"""
CREATE OR REPLACE FUNCTION audit_no_drop() RETURNS event_trigger AS $$
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    RETURN;
  END IF;
  IF EXISTS (
    SELECT 1 FROM pg_event_trigger_dropped_objects()
    WHERE object_identity ~ '(^|\.)(audit_auditevent|audit_accesslog|audit_auditanchor|audit_append_only|audit_no_truncate)\M'
       OR object_identity ~ '_no_(update|truncate) on '
  ) THEN
    RAISE EXCEPTION 'audit tables and their guards cannot be dropped';
  END IF;
END;
$$ LANGUAGE plpgsql;
DROP EVENT TRIGGER IF EXISTS audit_no_drop;
CREATE EVENT TRIGGER audit_no_drop ON sql_drop EXECUTE FUNCTION audit_no_drop();
"""


class HardeningError(ValueError):
    pass


def statements(app_role: str) -> list[str]:
    if not _ROLE.match(app_role) or app_role == OWNER:
        raise HardeningError(app_role)
    sql = [
        f"DO $$ BEGIN CREATE ROLE {OWNER} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        f"GRANT USAGE ON SCHEMA public TO {OWNER}",
    ]
    for table in TABLES:
        # the owner changes with the table's identity sequence
        sql += [
            f"ALTER TABLE {table} OWNER TO {OWNER}",
            f"REVOKE ALL ON {table} FROM PUBLIC",
            f"REVOKE ALL ON {table} FROM {app_role}",
            f"GRANT SELECT, INSERT ON {table} TO {app_role}",
        ]
    for table in SEQUENCE_TABLES:
        sql += [
            f"REVOKE ALL ON SEQUENCE {table}_id_seq FROM {app_role}",
            f"GRANT USAGE ON SEQUENCE {table}_id_seq TO {app_role}",
        ]
    sql += [f"ALTER FUNCTION {f} OWNER TO {OWNER}" for f in FUNCTIONS]
    sql.append(NO_DROP.strip())
    return sql
