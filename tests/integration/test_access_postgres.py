"""The access model in PostgreSQL: sync creates roles and scope rows; the dbt macro's policy filters rows
for each login. (The same policy on the real stock marts is tested in test_traceability_access.py.)"""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest

from vaxdw.access import load_access
from vaxdw.access.postgres import sync_access
from vaxdw.dbt_runner import run_dbt

ROWS = [("610104001", "2801"), ("610104001", "0202"), ("610202100", "2801"), ("610000", "2001"),
        ("610100", "0101")]


@pytest.fixture(scope="module")
def warehouse(pg_admin):
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        conn.execute("drop database if exists wh_access_pg with (force)")
        conn.execute("create database wh_access_pg")
    params = replace(pg_admin, dbname="wh_access_pg")
    result = sync_access(params, load_access())  # bootstraps through dbt's macro
    assert "rabies_user" in result.users
    with psycopg.connect(params.url, autocommit=True) as conn:
        conn.execute("create table marts.demo_scoped (region_code text, vaccine_code text)")
        conn.cursor().executemany("insert into marts.demo_scoped values (%s, %s)", ROWS)
    run_dbt(params, ["run-operation", "access_scoped_operation", "--args", "{relation: marts.demo_scoped}"])
    return params


def _rows_as(params, user: str) -> set[tuple[str, str]]:
    with psycopg.connect(replace(params, user=user, password="").url) as conn:
        return set(conn.execute("select region_code, vaccine_code from marts.demo_scoped").fetchall())


def test_each_login_sees_its_scope(warehouse):
    assert _rows_as(warehouse, "rabies_user") == {("610104001", "2801"), ("610202100", "2801")}
    assert _rows_as(warehouse, "hfrs_user") == {("610000", "2001")}
    assert _rows_as(warehouse, "xian_cdc") == {("610104001", "2801"), ("610104001", "0202"), ("610100", "0101")}
    assert _rows_as(warehouse, "prov_admin") == set(ROWS)


def test_scope_table_shows_only_own_rows(warehouse):
    with psycopg.connect(replace(warehouse, user="rabies_user").url) as conn:
        users = {row[0] for row in conn.execute("select user_name from access.user_scope")}
    assert users == {"rabies_user"}


def test_sync_is_idempotent_and_disables_removed_users(warehouse):
    model = load_access()
    sync_access(warehouse, model)
    smaller = replace(model, users={k: v for k, v in model.users.items() if k != "hfrs_user"})
    result = sync_access(warehouse, smaller, applied_by="sec_admin")
    assert "hfrs_user" in result.disabled
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(replace(warehouse, user="hfrs_user").url)
    sync_access(warehouse, model)
    assert _rows_as(warehouse, "hfrs_user") == {("610000", "2001")}

    # configuration-change audit: one row per change of the applied model, old → new hash, who applied it
    with psycopg.connect(warehouse.url) as conn:
        changes = conn.execute("select user_name, old_hash, new_hash from audit.event_log "
                               "where kind = 'config_change' and subject = 'config/access.yaml' "
                               "order by event_id").fetchall()
    assert len(changes) == 3 and changes[0][1] is None  # first sync, the smaller model, the full one again
    assert changes[1][0] == "sec_admin" and changes[1][1] == changes[0][2] and changes[2][2] == changes[0][2]
