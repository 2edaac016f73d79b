"""Least-privilege group roles for the services that write the warehouse (等保三级: no superuser in the
application path). Readers and scoped readers are managed by ``vaxdw.access`` (config/access.yaml).

| role              | may                                                                    |
|-------------------|------------------------------------------------------------------------|
| vaxdw_loader      | write raw + control (append landing data, load records, quarantine)    |
| vaxdw_transformer | read raw/control, create and own the dbt schemas (staging … marts)     |
| vaxdw_quality     | read raw and the dbt schemas, write dq                                 |
| vaxdw_ops         | read everything that is backed up, write monitor, pg_monitor statistics |

The roles are NOLOGIN groups: a deployment creates one LOGIN user per service (password from the
environment / Airflow connection) and grants it the group. Idempotent; grants cover existing tables and,
through default privileges, tables the connecting owner creates later.
"""

from __future__ import annotations

from psycopg import sql

from vaxdw.db import PgParams, connect

DBT_SCHEMAS = ("staging", "intermediate", "marts", "seeds")
BACKED_UP = ("raw", "control", "dq", "monitor", "audit", "config")

# role -> (schemas it writes, schemas it reads)
SERVICE_ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "vaxdw_loader": (("raw", "control"), ()),
    "vaxdw_transformer": (DBT_SCHEMAS, ("raw", "control")),
    "vaxdw_quality": (("dq",), ("raw", "control") + DBT_SCHEMAS),
    "vaxdw_ops": (("monitor",), BACKED_UP + DBT_SCHEMAS),
}


def apply_service_roles(params: PgParams) -> dict[str, list[str]]:
    """Create the group roles and grant them; return, per role, the schemas granted."""
    granted: dict[str, list[str]] = {}
    with connect(params) as conn:
        dbname = conn.execute("select current_database()").fetchone()[0]
        existing = {row[0] for row in conn.execute("select nspname from pg_namespace")}
        for role, (writes, reads) in SERVICE_ROLES.items():
            ident = sql.Identifier(role)
            if not conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
                conn.execute(sql.SQL("create role {} nologin nosuperuser nocreatedb nocreaterole").format(ident))
            conn.execute(sql.SQL("grant connect on database {} to {}").format(sql.Identifier(dbname), ident))
            granted[role] = []
            for schema in writes:
                schema_id = sql.Identifier(schema)
                conn.execute(sql.SQL("create schema if not exists {}").format(schema_id))
                conn.execute(sql.SQL("grant usage, create on schema {} to {}").format(schema_id, ident))
                conn.execute(sql.SQL("grant select, insert, update, delete, truncate on all tables in schema {} to {}")
                             .format(schema_id, ident))
                conn.execute(sql.SQL("grant usage, select, update on all sequences in schema {} to {}")
                             .format(schema_id, ident))
                conn.execute(sql.SQL("alter default privileges in schema {} grant select, insert, update, delete, "
                                     "truncate on tables to {}").format(schema_id, ident))
                conn.execute(sql.SQL("alter default privileges in schema {} grant usage, select, update on "
                                     "sequences to {}").format(schema_id, ident))
                granted[role].append(f"{schema}:write")
            for schema in reads:
                if schema not in existing:
                    continue
                schema_id = sql.Identifier(schema)
                conn.execute(sql.SQL("grant usage on schema {} to {}").format(schema_id, ident))
                conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(schema_id, ident))
                conn.execute(sql.SQL("alter default privileges in schema {} grant select on tables to {}")
                             .format(schema_id, ident))
                granted[role].append(f"{schema}:read")
            if role == "vaxdw_transformer":
                conn.execute(sql.SQL("grant create on database {} to {}").format(sql.Identifier(dbname), ident))
        conn.execute("grant pg_monitor to vaxdw_ops")
    return granted


def superuser_in_use(params: PgParams) -> bool:
    """True when the application connects as a superuser (a finding outside development)."""
    with connect(params) as conn:
        return conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone()[0]
