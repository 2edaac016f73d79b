"""Apply the access model to PostgreSQL: group roles, login users, grants, and the scope rows that the
row-level security policies of the scoped marts read (``access.user_scope``, keyed on current_user).

The policies themselves are put on by dbt (macro ``access_scoped`` as a post-hook of every scoped
mart), because dbt recreates the tables on every build. Passwords come from the environment
(``VAXDW_PASSWORD_<USER>``), never from git. Idempotent: run it after every change to the config.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from psycopg import sql

from vaxdw.access.model import AccessModel, load_access, region_prefix
from vaxdw.audit.events import record_config
from vaxdw.db import PgParams, connect

log = logging.getLogger(__name__)

READER_ROLE = "vaxdw_reader"
MANAGED_COMMENT = "managed by vaxdw access sync"


@dataclass
class SyncResult:
    roles: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    scope_rows: int = 0
    disabled: list[str] = field(default_factory=list)
    without_password: list[str] = field(default_factory=list)

    def as_text(self) -> str:
        lines = [f"access sync: {len(self.roles)} roles, {len(self.users)} users, {self.scope_rows} scope rows"]
        if self.disabled:
            lines.append(f"  disabled (no longer in config): {', '.join(self.disabled)}")
        if self.without_password:
            lines.append(f"  no password in environment (login only where pg_hba trusts): "
                         f"{', '.join(self.without_password)}")
        return "\n".join(lines)


def _bootstrapped(params: PgParams) -> bool:
    with connect(params) as conn:
        return conn.execute("select to_regclass('access.user_scope') is not null").fetchone()[0]


def ensure_bootstrap(params: PgParams) -> None:
    """Create the access schema via dbt's macro when no dbt build has run yet (one DDL, one place)."""
    if not _bootstrapped(params):
        from vaxdw.dbt_runner import run_dbt

        run_dbt(params, ["run-operation", "access_bootstrap_operation"])


def scope_rows(model: AccessModel) -> list[tuple[str, str, str, str]]:
    rows = set()
    for user in model.users.values():
        for role in user.roles:
            for region in role.regions:
                for vaccine in role.vaccines or ("*",):
                    rows.add((user.name, role.name, region_prefix(region), vaccine))
    return sorted(rows)


def _role_exists(conn, name: str) -> bool:
    return conn.execute("select 1 from pg_roles where rolname = %s", (name,)).fetchone() is not None


def sync_access(params: PgParams, model: AccessModel | None = None, applied_by: str | None = None) -> SyncResult:
    model = model or load_access()
    ensure_bootstrap(params)
    result = SyncResult()
    with connect(params) as conn:
        for role in model.roles.values():
            ident = sql.Identifier(role.pg_role)
            if not _role_exists(conn, role.pg_role):
                conn.execute(sql.SQL("create role {} nologin").format(ident))
            conn.execute(sql.SQL("comment on role {} is {}").format(ident, sql.Literal(MANAGED_COMMENT)))
            conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(READER_ROLE), ident))
            if "read_all_marts" in role.permissions:
                conn.execute(sql.SQL("grant select on all tables in schema marts to {}").format(ident))
                conn.execute(sql.SQL("alter default privileges in schema marts grant select on tables to {}")
                             .format(ident))
            else:
                conn.execute(sql.SQL("alter default privileges in schema marts revoke select on tables from {}")
                             .format(ident))
            result.roles.append(role.pg_role)
        for user in model.users.values():
            ident = sql.Identifier(user.name)
            password = os.environ.get(user.password_env)
            if not _role_exists(conn, user.name):
                conn.execute(sql.SQL("create role {} login").format(ident))
            elif conn.execute("select 1 from pg_roles where rolname = %s and shobj_description(oid, 'pg_authid') = %s",
                              (user.name, MANAGED_COMMENT)).fetchone() is None:
                raise RuntimeError(f"role {user.name} exists and is not managed by vaxdw; refusing to change it")
            conn.execute(sql.SQL("alter role {} login").format(ident))
            conn.execute(sql.SQL("comment on role {} is {}").format(ident, sql.Literal(MANAGED_COMMENT)))
            if password:
                conn.execute(sql.SQL("alter role {} password {}").format(ident, sql.Literal(password)))
            else:
                result.without_password.append(user.name)
            wanted = {role.pg_role for role in user.roles}
            held = {row[0] for row in conn.execute(
                "select g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid "
                "join pg_roles u on u.oid = m.member where u.rolname = %s and g.rolname like 'vaxdw\\_role\\_%%'",
                (user.name,))}
            for group in sorted(wanted - held):
                conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(group), ident))
            for group in sorted(held - wanted):
                conn.execute(sql.SQL("revoke {} from {}").format(sql.Identifier(group), ident))
            result.users.append(user.name)
        managed = [row[0] for row in conn.execute(
            "select rolname from pg_roles where rolcanlogin and shobj_description(oid, 'pg_authid') = %s",
            (MANAGED_COMMENT,))]
        for name in sorted(set(managed) - set(model.users)):
            conn.execute(sql.SQL("alter role {} nologin").format(sql.Identifier(name)))
            result.disabled.append(name)
        rows = scope_rows(model)
        conn.execute("delete from access.user_scope")
        with conn.cursor() as cur:
            cur.executemany("insert into access.user_scope values (%s, %s, %s, %s)", rows)
        result.scope_rows = len(rows)
    record_config(params, "config/access.yaml", model, user=applied_by, source=model.source)
    log.info("%s", result.as_text())
    return result
