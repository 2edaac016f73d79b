"""The ``dq`` schema: rule catalogue copy, check runs, per-rule results, failing rows; and the
GB 11643 check-character SQL function the ID rules use. Created idempotently."""

from __future__ import annotations

import re

import psycopg

from vaxdw.settings import get_settings

# Weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 (= 2^(17-i) mod 11), check = '10X98765432'[S mod 11].
# Returns NULL unless the first 17 characters are digits; never raises (no ::int casts). One plain
# expression (the 17 weighted digits written out, no subquery) and not declared STRICT, so that
# PostgreSQL inlines it into the rule's query instead of calling a SQL function per row (5x faster on
# a large batch); NULL input still gives NULL (the regex test is NULL, so the CASE is).
GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_WEIGHTED_SUM = "\n            + ".join(
    f"(ascii(substr(id_number, {i}, 1)) - 48) * {w}" for i, w in enumerate(GB11643_WEIGHTS, start=1)
)
GB11643_FUNCTION = rf"""
create or replace function dq.gb11643_check_char(id_number text) returns text
language sql immutable called on null input parallel safe as $fn$
    select case when id_number ~ '^[0-9]{{17}}' then
        substr('10X98765432', 1 + (
            {_WEIGHTED_SUM}
        ) % 11, 1)
    end
$fn$;
comment on function dq.gb11643_check_char(text) is
    'GB 11643-1999 check character of an 18-digit resident ID number (NULL unless 17 leading digits)';
"""

DDL = """
create schema if not exists dq;

create table if not exists dq.rule (
    rule_id text not null,
    version text not null,
    name_zh text not null,
    message_zh text not null,
    table_name text not null,
    key_column text not null,
    severity text not null check (severity in ('error', 'warn')),
    standard text not null,
    effective_from date not null,
    effective_to date,
    repairable boolean not null,
    repair_how text not null default '',
    check_kind text not null,
    check_definition jsonb not null,
    updated_at timestamptz not null default now(),
    primary key (rule_id, version)
);

create table if not exists dq.check_run (
    run_id bigint generated always as identity primary key,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    rule_set_version text not null,
    load_ids bigint[] not null,
    label text not null default '',
    status text not null check (status in ('running', 'passed', 'warned', 'failed', 'error')),
    error text
);

create table if not exists dq.check_result (
    run_id bigint not null references dq.check_run (run_id),
    rule_id text not null,
    table_name text not null,
    severity text not null,
    rows_checked bigint not null,
    rows_failed bigint not null,
    success boolean not null,
    error text,
    primary key (run_id, rule_id)
);

create table if not exists dq.failed_row (
    run_id bigint not null,
    rule_id text not null,
    table_name text not null,
    row_key text not null,
    value text,
    message_zh text not null
);
alter table dq.rule add column if not exists family text not null default 'id';
alter table dq.rule add column if not exists status text not null default 'active';
alter table dq.rule add column if not exists scope text not null default 'batch';
alter table dq.rule add column if not exists repair_action text;

-- Records whose corrections changed (vaxdw repair apply/undo): the next check run re-validates them
-- although their load id is old, and marks them with its run id.
create table if not exists dq.recheck_queue (
    key_column text not null,
    row_key text not null,
    queued_at timestamptz not null default now(),
    run_id bigint
);
create index if not exists recheck_queue_open_idx on dq.recheck_queue (run_id, key_column);

-- A check run writes its failing rows in bulk (hundreds of thousands for a large faulty batch): the
-- run id is checked once per statement (a statement trigger over the inserted rows) rather than by a
-- row-by-row foreign key, which cost more than the insert itself. Runs are never deleted (dq.check_result
-- keeps its foreign key, so a run with results cannot be). No index by table and row key: every reader
-- of dq.failed_row selects by run (and rule); per record, dq.current_anomaly is the table to read.
alter table dq.failed_row drop constraint if exists failed_row_run_id_fkey;
drop index if exists dq.failed_row_key_idx;
-- By run and rule, the way every reader selects (the exchange gate's fallback, the 数据质量 dataset), with
-- the row key. A check run itself does not read dq.failed_row: it maintains dq.current_anomaly from the
-- rows it inserts, in the same statement (checkpoint._table_statement).
drop index if exists dq.failed_row_run_rule_idx;
create index if not exists failed_row_run_rule_key_idx on dq.failed_row (run_id, rule_id, row_key);
create or replace function dq.failed_row_run_exists() returns trigger
language plpgsql as $fn$
begin
    if exists (
        select from (select distinct run_id from inserted) as i
        where not exists (select from dq.check_run as r where r.run_id = i.run_id)
    ) then
        raise foreign_key_violation using message = 'dq.failed_row.run_id not present in dq.check_run';
    end if;
    return null;
end
$fn$;
create or replace trigger failed_row_run_exists after insert on dq.failed_row
    referencing new table as inserted for each statement execute function dq.failed_row_run_exists();
"""


def quality_tables_ddl() -> str:
    """The DDL of curated.correction and dq.current_anomaly: the body of the dbt macro
    ``quality_tables_ddl`` (dbt creates them on run start; this is the same text)."""
    text = (get_settings().dbt_project_dir / "macros" / "quality_tables.sql").read_text(encoding="utf-8")
    match = re.search(r"{%\s*macro quality_tables_ddl\(\)\s*%}(.*?){%\s*endmacro\s*%}", text, re.S)
    if not match:
        raise RuntimeError("macro quality_tables_ddl not found in dbt_project/macros/quality_tables.sql")
    return match.group(1)


def ensure_schema(conn: psycopg.Connection) -> None:
    """Create the dq schema, tables and function if missing (safe to run concurrently)."""
    with conn.transaction():
        # Concurrent "create ... if not exists" can still collide in the catalogs; serialise.
        conn.execute("select pg_advisory_xact_lock(hashtext('vaxdw.dq.ddl'))")
        conn.execute(quality_tables_ddl())
        conn.execute(DDL)
        conn.execute(GB11643_FUNCTION)
