"""Incremental, atomic, idempotent load of one source table into ``raw``.

One load = one warehouse transaction:
1. take an advisory lock for the table and read the last successful watermark;
2. read the source's current high-water mark (``max(updated_at)``, less the safety lag);
3. stream ``COPY (select ... where wm_from < updated_at <= wm_to) TO STDOUT`` from the source into
   a temporary all-text table (rows with broken encodings are set aside on the way);
4. check every value against its raw type with ``pg_input_is_valid`` (PostgreSQL ≥ 16) and required
   columns for nulls; insert the good rows into ``raw.<table>`` with the load id and the bad rows
   into ``control.quarantine`` with the reason;
5. write the ``control.load`` row (read = loaded + quarantined is a table constraint) and commit.

A failure anywhere rolls the whole batch back; a ``failed`` row is then written on its own.
Because every load continues from the last successful watermark, rerunning an interval that was
already loaded reads nothing new: no duplicates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import sql

from vaxdw.contract import Table, tables
from vaxdw.db import PgParams, connect
from vaxdw.extract_load import control
from vaxdw.extract_load.stream import field_of, pipe_rows

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadResult:
    table_name: str
    load_id: int
    status: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    watermark_from: datetime | None
    watermark_to: datetime | None

    def as_text(self) -> str:
        return (
            f"{self.table_name:<16} read {self.rows_read:>9,}  loaded {self.rows_loaded:>9,}  "
            f"quarantined {self.rows_quarantined:>6,}  (load {self.load_id}, {self.status})"
        )


def _source_high_water(source: psycopg.Connection, table: Table, lag_seconds: int) -> datetime | None:
    query = sql.SQL("select max({wm}) from ops.{table}").format(
        wm=sql.Identifier(table.watermark), table=sql.Identifier(table.name)
    )
    high = source.execute(query).fetchone()[0]
    if high is not None and lag_seconds:
        ceiling = source.execute("select localtimestamp - make_interval(secs => %s)", (lag_seconds,)).fetchone()[0]
        high = min(high, ceiling)
    return high


def _extract_query(table: Table, wm_from: datetime | None, wm_to: datetime) -> sql.Composed:
    lower = (
        sql.SQL("{wm} > {value} and ").format(wm=sql.Identifier(table.watermark), value=sql.Literal(wm_from))
        if wm_from is not None
        else sql.SQL("")
    )
    return sql.SQL("copy (select {cols} from ops.{table} where {lower}{wm} <= {upper}) to stdout").format(
        cols=sql.SQL(", ").join(sql.Identifier(name) for name in table.column_names),
        table=sql.Identifier(table.name),
        lower=lower,
        wm=sql.Identifier(table.watermark),
        upper=sql.Literal(wm_to),
    )


def _problems_expression(table: Table) -> sql.Composed:
    """SQL text expression listing every problem of a tmp row, or null when the row is fine."""
    parts = []
    for column in table.columns:
        ident = sql.Identifier(column.name)
        if not column.nullable:
            parts.append(
                sql.SQL("case when {c} is null then {msg} end").format(
                    c=ident, msg=sql.Literal(f"{column.name}: 必填项为空")
                )
            )
        parts.append(
            sql.SQL(
                "case when {c} is not null and not pg_input_is_valid({c}, {t}) "
                "then {name} || (pg_input_error_info({c}, {t})).message end"
            ).format(c=ident, t=sql.Literal(column.landing_type), name=sql.Literal(f"{column.name}: "))
        )
    return sql.SQL("nullif(concat_ws('; ', {parts}), '')").format(parts=sql.SQL(", ").join(parts))


def _land(wh: psycopg.Connection, table: Table, load_id: int) -> tuple[int, int]:
    """Move tmp rows into raw (valid) and quarantine (invalid); return (loaded, quarantined)."""
    tmp = sql.Identifier(f"tmp_{table.name}")
    wh.execute(
        sql.SQL("update {tmp} set _reason = {problems} where {problems} is not null").format(
            tmp=tmp, problems=_problems_expression(table)
        )
    )
    casts = sql.SQL(", ").join(
        sql.SQL("{c}::{t}").format(c=sql.Identifier(col.name), t=sql.SQL(col.landing_type))
        for col in table.columns
    )
    loaded = wh.execute(
        sql.SQL("insert into raw.{table} ({cols}, _load_id) select {casts}, {load_id} from {tmp} "
                "where _reason is null").format(
            table=sql.Identifier(table.name),
            cols=sql.SQL(", ").join(sql.Identifier(name) for name in table.column_names),
            casts=casts,
            load_id=sql.Literal(load_id),
            tmp=tmp,
        )
    ).rowcount
    quarantined = wh.execute(
        sql.SQL(
            "insert into control.quarantine (load_id, table_name, row_key, row_data, reason) "
            "select {load_id}, {name}, {key}, to_jsonb(t) - '_reason', _reason from {tmp} as t "
            "where _reason is not null"
        ).format(load_id=sql.Literal(load_id), name=sql.Literal(table.name),
                 key=sql.Identifier(table.key), tmp=tmp)
    ).rowcount
    return loaded, quarantined


def _quarantine_lines(wh: psycopg.Connection, table: Table, load_id: int, bad_lines) -> int:
    key_index = table.column_names.index(table.key)
    with wh.cursor() as cur:
        cur.executemany(
            "insert into control.quarantine (load_id, table_name, row_key, raw_line, reason) "
            "values (%s, %s, %s, %s, %s)",
            [
                (load_id, table.name, field_of(line, key_index),
                 line.decode("utf-8", errors="backslashreplace"), reason)
                for line, reason in bad_lines
            ],
        )
    return len(bad_lines)


def load_table(source_params: PgParams, warehouse_params: PgParams, table: Table,
               pipeline_run_id: str | None = None, lag_seconds: int = 0) -> LoadResult:
    """Load the rows of ``table`` changed since the last successful load. See the module doc."""
    started_at = datetime.now().astimezone()
    with connect(warehouse_params) as wh, connect(source_params, autocommit=True) as source:
        control.ensure_control(wh)
        load_id = wh.execute("select nextval('control.load_id_seq')").fetchone()[0]
        wh.commit()
        wm_from = None
        try:
            with wh.transaction():
                wh.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"vaxdw.load.{table.name}",))
                wm_from = control.last_watermark(wh, table.name)
                wm_to = _source_high_water(source, table, lag_seconds)
                read = loaded = quarantined = 0
                if wm_to is not None and (wm_from is None or wm_to > wm_from):
                    read, loaded, quarantined = _copy_batch(source, wh, table, load_id, wm_from, wm_to)
                else:
                    wm_to = wm_from
                if read != loaded + quarantined:
                    raise RuntimeError(
                        f"{table.name}: counts do not reconcile: read {read} != loaded {loaded} "
                        f"+ quarantined {quarantined}"
                    )
                wh.execute(
                    """
                    insert into control.load (load_id, table_name, pipeline_run_id, started_at, status,
                        watermark_from, watermark_to, rows_read, rows_loaded, rows_quarantined)
                    values (%s, %s, %s, %s, 'succeeded', %s, %s, %s, %s, %s)
                    """,
                    (load_id, table.name, pipeline_run_id, started_at, wm_from, wm_to,
                     read, loaded, quarantined),
                )
        except Exception as exc:
            log.error("load of %s failed: %s", table.name, exc)
            with wh.transaction():
                control.record_failure(wh, load_id, table.name, pipeline_run_id, started_at, wm_from,
                                       f"{type(exc).__name__}: {exc}")
            raise
    result = LoadResult(table.name, load_id, "succeeded", read, loaded, quarantined, wm_from, wm_to)
    log.info(result.as_text())
    return result


def _copy_batch(source: psycopg.Connection, wh: psycopg.Connection, table: Table, load_id: int,
                wm_from: datetime | None, wm_to: datetime) -> tuple[int, int, int]:
    tmp = sql.Identifier(f"tmp_{table.name}")
    columns = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(n)) for n in table.column_names)
    wh.execute(sql.SQL("drop table if exists {tmp}").format(tmp=tmp))
    wh.execute(sql.SQL("create temp table {tmp} ({cols}, _reason text) on commit drop").format(
        tmp=tmp, cols=columns))
    # Read the source's bytes as they are stored (no server-side conversion, which would abort the
    # whole COPY on one badly encoded row); pipe_rows checks them as UTF-8 row by row.
    source.execute("set client_encoding to 'SQL_ASCII'")
    target = sql.SQL("copy {tmp} ({cols}) from stdin").format(
        tmp=tmp, cols=sql.SQL(", ").join(sql.Identifier(n) for n in table.column_names))
    with source.cursor().copy(_extract_query(table, wm_from, wm_to)) as src_copy, \
            wh.cursor().copy(target) as wh_copy:
        stats = pipe_rows(src_copy, wh_copy)
    bad = _quarantine_lines(wh, table, load_id, stats.bad_lines) if stats.bad_lines else 0
    loaded, quarantined = _land(wh, table, load_id)
    return stats.rows, loaded, quarantined + bad


def load_all(source_params: PgParams, warehouse_params: PgParams, pipeline_run_id: str | None = None,
             lag_seconds: int = 0, only: list[str] | None = None) -> list[LoadResult]:
    """Load every contract table (or those named in ``only``) in dependency order."""
    return [
        load_table(source_params, warehouse_params, table, pipeline_run_id, lag_seconds)
        for table in tables()
        if only is None or table.name in only
    ]
