"""The ``control`` schema: one row per load, and the quarantine of rows that could not be loaded."""

from __future__ import annotations

import psycopg

from vaxdw.contract import Table, tables
from vaxdw.extract_load import current

# Schemas are created only when missing: ``create schema if not exists`` needs CREATE on the database even
# when the schema exists, which the least-privilege loader login (vaxdw_loader) does not have.
CONTROL_DDL = """
do $schemas$
begin
    if to_regnamespace('control') is null then create schema control; end if;
    if to_regnamespace('raw') is null then create schema raw; end if;
end
$schemas$;
create sequence if not exists control.load_id_seq;
create table if not exists control.load (
    load_id bigint primary key,
    table_name text not null,
    pipeline_run_id text,
    started_at timestamptz not null,
    finished_at timestamptz not null default now(),
    status text not null check (status in ('succeeded', 'failed')),
    watermark_from timestamp,
    watermark_to timestamp,
    rows_read bigint not null default 0,
    rows_loaded bigint not null default 0,
    rows_quarantined bigint not null default 0,
    error text,
    constraint load_counts_reconcile check (
        status <> 'succeeded' or rows_read = rows_loaded + rows_quarantined
    )
);
create index if not exists load_table_idx on control.load (table_name, status, watermark_to);
create index if not exists load_run_idx on control.load (pipeline_run_id);
create table if not exists control.quarantine (
    quarantine_id bigserial primary key,
    load_id bigint not null,
    table_name text not null,
    row_key text,
    row_data jsonb,
    raw_line text,
    reason text not null,
    quarantined_at timestamptz not null default now()
);
create index if not exists quarantine_load_idx on control.quarantine (load_id);
"""


def ensure_control(conn: psycopg.Connection) -> None:
    """Create the control and raw schemas and every contract table's raw landing table."""
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('vaxdw.ensure_control'))")
        conn.execute(CONTROL_DDL)
        for table in tables():
            ensure_raw_table(conn, table)


def ensure_raw_table(conn: psycopg.Connection, table: Table) -> None:
    """Create the raw table, and add columns the contract gained since it was created."""
    existing = {
        row[0]
        for row in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' "
            "and table_name = %s",
            (table.name,),
        )
    }
    if not existing:
        conn.execute(table.raw_ddl())
        conn.execute(table.current_index_ddl())
        return
    # raw tables created before the BRIN index carried a btree on _load_id (about 30 bytes a row)
    if conn.execute("select to_regclass(%s) is not null", (f"raw.{table.name}_load_idx",)).fetchone()[0]:
        conn.execute(f"drop index raw.{table.name}_load_idx")
        conn.execute(table.raw_ddl())
    for column in table.columns:
        if column.name not in existing:
            conn.execute(
                f"alter table raw.{table.name} add column {column.name} {column.landing_type}"
            )
    # raw tables created before the staging views read the current versions from raw itself
    if "_is_current" not in existing:  # all current at first, so only the superseded versions are written
        conn.execute(f"alter table raw.{table.name} add column _is_current boolean not null default true")
        conn.execute(f"alter table raw.{table.name} alter column _is_current set default false")
    # and before the superseded versions kept the load that superseded them
    if "_superseded_load_id" not in existing:
        conn.execute(f"alter table raw.{table.name} add column _superseded_load_id bigint")
    if not {"_is_current", "_superseded_load_id"} <= existing:
        current.recompute_current_versions(conn, table)
    conn.execute(table.current_index_ddl())


def last_watermark(conn: psycopg.Connection, table_name: str):
    row = conn.execute(
        "select max(watermark_to) from control.load where table_name = %s and status = 'succeeded'",
        (table_name,),
    ).fetchone()
    return row[0] if row else None


def record_failure(conn: psycopg.Connection, load_id: int, table_name: str, run_id: str | None,
                   started_at, watermark_from, error: str) -> None:
    conn.execute(
        """
        insert into control.load (load_id, table_name, pipeline_run_id, started_at, status,
                                  watermark_from, error)
        values (%s, %s, %s, %s, 'failed', %s, %s)
        on conflict (load_id) do nothing
        """,
        (load_id, table_name, run_id, started_at, watermark_from, error[:4000]),
    )
