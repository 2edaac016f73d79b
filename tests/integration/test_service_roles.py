"""Service roles are least-privilege: each login can do its job and nothing beyond it."""

from __future__ import annotations

from dataclasses import replace

import psycopg

from vaxdw.db import connect
from vaxdw.security.service_roles import apply_service_roles, superuser_in_use


def test_service_roles_grant_only_what_each_service_needs(fresh_dbs):
    _, warehouse = fresh_dbs
    with connect(warehouse) as conn:
        for schema in ("raw", "control", "dq", "marts", "monitor"):
            conn.execute(f"create schema {schema}")
            conn.execute(f"create table {schema}.t (id int)")
            conn.execute(f"insert into {schema}.t values (1)")
    granted = apply_service_roles(warehouse)
    apply_service_roles(warehouse)  # idempotent
    assert "raw:write" in granted["vaxdw_loader"] and "marts:read" in granted["vaxdw_quality"]
    logins = {}
    with connect(warehouse, autocommit=True) as conn:
        for role in ("vaxdw_loader", "vaxdw_quality", "vaxdw_ops"):
            user = role.replace("vaxdw_", "svc_")
            conn.execute(f"drop role if exists {user}")
            conn.execute(f"create role {user} login in role {role}")
            logins[role] = replace(warehouse, user=user, password="")
        conn.execute("create table raw.later (id int)")  # created after the grants: default privileges

    def can(role: str, statement: str) -> bool:
        try:
            with connect(logins[role]) as conn:
                conn.execute(statement)
            return True
        except psycopg.errors.InsufficientPrivilege:
            return False

    assert can("vaxdw_loader", "insert into raw.t values (2)")
    assert can("vaxdw_loader", "insert into raw.later values (2)")
    assert can("vaxdw_loader", "insert into control.t values (2)")
    assert not can("vaxdw_loader", "select * from marts.t")
    assert not can("vaxdw_loader", "select * from dq.t")
    assert can("vaxdw_quality", "select * from raw.t")
    assert can("vaxdw_quality", "insert into dq.t values (2)")
    assert not can("vaxdw_quality", "insert into raw.t values (3)")
    assert not can("vaxdw_quality", "drop table marts.t")
    assert can("vaxdw_ops", "select * from raw.t")
    assert can("vaxdw_ops", "insert into monitor.t values (2)")
    assert not can("vaxdw_ops", "delete from raw.t")
    assert not superuser_in_use(logins["vaxdw_ops"])
    assert superuser_in_use(warehouse)  # the embedded development server's own user; a finding in production
    with connect(warehouse, autocommit=True) as conn:
        for user in ("svc_loader", "svc_quality", "svc_ops"):
            conn.execute(f"drop owned by {user}")
            conn.execute(f"drop role {user}")

