"""Shared fixtures: a real PostgreSQL (pgserver) for the whole session, fresh databases per test.

The session runs on a frozen evaluation date: VAXDW_EVALUATION_DATE is set to :data:`FROZEN_TODAY` when
this file is imported (before any test module), so vaxdw.clock.today(), every business default and dbt's
var evaluation_date (vaxdw.dbt_runner) see it, and so do subprocesses (CLI, ``airflow dags test``).
Tests that need "today" import FROZEN_TODAY; none reads the wall clock for a date
(tests/unit/test_no_wall_clock.py). Event timestamps (audit rows, loads, alerts) stay on the real clock.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import psycopg
import pytest

from vaxdw.db import PgParams, parse_url
from vaxdw.settings import get_settings

# After the generated data (as_of 2026-10-31) and on or after 2026-11-27, so the newest quality rule set (2026.2)
# is the one in force, as it is for every real date since.
FROZEN_TODAY = date(2026, 11, 28)
os.environ["VAXDW_EVALUATION_DATE"] = FROZEN_TODAY.isoformat()


@pytest.fixture(scope="session")
def pg_admin() -> PgParams:
    """A PostgreSQL server for this test session, deleted when the session ends."""
    import pgserver

    pgdata = Path(tempfile.mkdtemp(prefix="vaxdw-pg-"))
    server = pgserver.get_server(str(pgdata), cleanup_mode="delete")
    params = parse_url(server.get_uri())
    yield params
    del server


def _fresh_database(admin: PgParams, name: str) -> PgParams:
    with psycopg.connect(admin.url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    return replace(admin, dbname=name)


@pytest.fixture
def fresh_dbs(pg_admin: PgParams, request: pytest.FixtureRequest) -> tuple[PgParams, PgParams]:
    """A new, empty (source, warehouse) database pair named after the test."""
    stem = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:40]
    return _fresh_database(pg_admin, f"src_{stem}"), _fresh_database(pg_admin, f"wh_{stem}")


@pytest.fixture
def settings(fresh_dbs: tuple[PgParams, PgParams], tmp_path: Path):
    """Settings pointing at the fresh databases, with outputs under tmp_path."""
    source, warehouse = fresh_dbs
    return replace(
        get_settings(),
        source_url=source.url,
        warehouse_url=warehouse.url,
        out_dir=tmp_path / "out",
    )
