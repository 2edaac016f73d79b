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

from vaxdw.audit.events import ensure_event_log
from vaxdw.db import PgParams, connect
from vaxdw.quality.schema import ensure_schema as ensure_quality_schema

DBT_SCHEMAS = ("staging", "intermediate", "marts", "seeds")
BACKED_UP = ("raw", "control", "dq", "curated", "monitor", "audit", "config")

# role -> (schemas it writes, schemas it reads)
SERVICE_ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "vaxdw_loader": (("raw", "control"), ()),
    "vaxdw_transformer": (DBT_SCHEMAS, ("raw", "control")),
    "vaxdw_quality": (("dq", "curated"), ("raw", "control") + DBT_SCHEMAS),
    "vaxdw_ops": (("monitor",), BACKED_UP + DBT_SCHEMAS),
}


def apply_service_roles(params: PgParams) -> dict[str, list[str]]:
    """Create the group roles and grant them; return, per role, the schemas granted.

    Objects a service creates belong to its group role (its login runs ``set role``, see
    :func:`create_service_login`), so default privileges ``for role <writer>`` give the readers of a schema
    every table a writer creates later.
    """
    granted: dict[str, list[str]] = {}
    with connect(params) as conn:
        dbname = conn.execute("select current_database()").fetchone()[0]
        for role, (writes, _) in SERVICE_ROLES.items():
            if not conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
                conn.execute(sql.SQL("create role {} nologin nosuperuser nocreatedb nocreaterole")
                             .format(sql.Identifier(role)))
            for schema in writes:  # each schema belongs to the one service that writes it
                conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
                conn.execute(sql.SQL("alter schema {} owner to {}").format(sql.Identifier(schema),
                                                                           sql.Identifier(role)))
        if not conn.execute("select 1 from pg_roles where rolname = 'vaxdw_reader'").fetchone():
            conn.execute("create role vaxdw_reader nologin")  # dbt's access bootstrap may not create roles
        existing = {row[0] for row in conn.execute("select nspname from pg_namespace")}
        writers = {schema: [r for r, (w, _) in SERVICE_ROLES.items() if schema in w]
                   for schema in {s for w, _ in SERVICE_ROLES.values() for s in w}}
        for role, (writes, reads) in SERVICE_ROLES.items():
            ident = sql.Identifier(role)
            conn.execute(sql.SQL("grant connect on database {} to {}").format(sql.Identifier(dbname), ident))
            granted[role] = []
            for schema in writes:
                schema_id = sql.Identifier(schema)
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
                for writer in writers.get(schema, []):
                    conn.execute(sql.SQL("alter default privileges for role {} in schema {} grant select on tables "
                                         "to {}").format(sql.Identifier(writer), schema_id, ident))
                granted[role].append(f"{schema}:read")
            if role in ("vaxdw_transformer", "vaxdw_quality"):  # their DDL says `create schema if not exists`
                conn.execute(sql.SQL("grant create on database {} to {}").format(sql.Identifier(dbname), ident))
        conn.execute("grant pg_monitor to vaxdw_ops")
        # dbt's on-run-start re-issues the DDL of the quality tables it reads (curated.correction,
        # dq.current_anomaly: macro create_quality_tables), which takes their owner's rights.
        conn.execute("grant vaxdw_quality to vaxdw_transformer")
        # a repair draws its corrections' change ids from the load id sequence (vaxdw.repair.service), which
        # the loader owns; created here when missing so the quality DDL need not create it in control
        conn.execute("create sequence if not exists control.load_id_seq")
        conn.execute("alter sequence control.load_id_seq owner to vaxdw_loader")
        conn.execute("grant usage, select on sequence control.load_id_seq to vaxdw_quality")
        conn.execute("set role vaxdw_quality")  # the quality tables belong to the quality service
        ensure_quality_schema(conn)
        conn.execute("reset role")
        # the audit trail is append-only for services: the quality check records the rule catalogue it applied
        ensure_event_log(conn)
        conn.execute("grant usage on schema audit to vaxdw_quality, vaxdw_ops")
        conn.execute("grant select, insert on audit.event_log to vaxdw_quality")
        conn.execute("grant usage on sequence audit.event_log_event_id_seq to vaxdw_quality")
        granted["vaxdw_quality"].append("audit.event_log:insert")
        # quality checks must see every row of the row-level-secured marts (a scoped view would pass vacuously)
        conn.execute("alter role vaxdw_quality bypassrls")
    return granted


def create_service_login(params: PgParams, login: str, role: str, password: str | None = None) -> None:
    """A LOGIN user for one service: member of the group ``role`` and ``set role`` to it at every login, so
    what it creates is owned by the group (shared by every login of that service) and default privileges
    apply. The password comes from the environment / Airflow connection, never from git."""
    if role not in SERVICE_ROLES:
        raise ValueError(f"unknown service role {role}; known: {', '.join(SERVICE_ROLES)}")
    ident = sql.Identifier(login)
    with connect(params) as conn:
        if not conn.execute("select 1 from pg_roles where rolname = %s", (login,)).fetchone():
            conn.execute(sql.SQL("create role {} login").format(ident))
        conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(role), ident))
        conn.execute(sql.SQL("alter role {} set role = {}").format(ident, sql.Literal(role)))
        if password:
            conn.execute(sql.SQL("alter role {} password {}").format(ident, sql.Literal(password)))


def superuser_in_use(params: PgParams) -> bool:
    """True when the application connects as a superuser (a finding outside development)."""
    with connect(params) as conn:
        return conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone()[0]
