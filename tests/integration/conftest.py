"""Fixtures shared by several integration test modules."""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest

from vaxdw.access import load_access
from vaxdw.access.postgres import sync_access
from vaxdw.dbt_runner import run_dbt
from vaxdw.extract_load import load_all
from vaxdw.simulator import generate


@pytest.fixture(scope="package")
def traceability_world(pg_admin):
    """A tiny generated province (seed 11), loaded and built once for the traceability test modules, with
    the access config synced: (source, warehouse)."""
    names = ("src_traceability", "wh_traceability")
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        for name in names:
            conn.execute(f"drop database if exists {name} with (force)")
            conn.execute(f"create database {name}")
    source, warehouse = (replace(pg_admin, dbname=name) for name in names)
    generate(source, scale="tiny", seed=11)
    load_all(source, warehouse, pipeline_run_id="traceability-test")
    run_dbt(warehouse, ["build"])
    sync_access(warehouse, load_access())
    return source, warehouse
