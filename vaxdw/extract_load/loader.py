"""Incremental, atomic, idempotent load of one source table into ``raw``.

One load = one warehouse transaction:
1. take an advisory lock for the table and read the last successful watermark;
2. read the source's current high-water mark (``max(updated_at)``, less the safety lag);
3. in one repeatable-read snapshot of the source:
   - count the rows of the interval ``wm_from < updated_at <= wm_to`` (what was read);
   - stream the rows whose legacy free-text columns parse as their raw type (``pg_input_is_valid``,
     PostgreSQL ≥ 16) and whose required columns are present, ``COPY … TO STDOUT`` straight into
     ``COPY raw.<table> FROM STDIN`` with the load id; rows with broken encodings are set aside on the way;
   - mark which version of each key the load touched is current (``raw.<table>._is_current``, which the
     staging views read: vaxdw.extract_load.current);
   - fetch the other rows with the reason, into ``control.quarantine``;
4. check read = loaded + quarantined, write the ``control.load`` row and commit.

A failure anywhere rolls the whole batch back; a ``failed`` row is then written on its own.
Because every load continues from the last successful watermark, rerunning an interval that was
already loaded reads nothing new: no duplicates.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import sql

from vaxdw import clock
from vaxdw.contract import Table, tables
from vaxdw.db import PgParams, connect
from vaxdw.extract_load import control, current
from vaxdw.extract_load.lock import lock_for_load
from vaxdw.extract_load.stream import copy_fields, field_of, pipe_rows

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


def _interval(table: Table, wm_from: datetime | None, wm_to: datetime) -> sql.Composed:
    """The source rows of this load: ``select <contract columns> from ops.<table> where <interval>``."""
    wm = sql.Identifier(table.watermark)
    lower = sql.SQL("{wm} > {value} and ").format(wm=wm, value=sql.Literal(wm_from)) if wm_from else sql.SQL("")
    return sql.SQL("select {cols} from ops.{table} where {lower}{wm} <= {upper}").format(
        cols=sql.SQL(", ").join(sql.Identifier(name) for name in table.column_names),
        table=sql.Identifier(table.name),
        lower=lower,
        wm=wm,
        upper=sql.Literal(wm_to),
    )


def problems_expression(table: Table) -> sql.Composed:
    """SQL text listing every reason a source row cannot land in raw, or null when it can.

    Columns typed in the source always parse as the same type; legacy free-text columns are checked
    against their raw type, required columns for presence.
    """
    parts = []
    for column in table.columns:
        ident = sql.Identifier(column.name)
        if not column.nullable:
            parts.append(
                sql.SQL("case when {c} is null then {msg} end").format(
                    c=ident, msg=sql.Literal(f"{column.name}: 必填项为空")
                )
            )
        if column.needs_cast_check:
            parts.append(
                sql.SQL(
                    "case when {c} is not null and not pg_input_is_valid({c}::text, {t}) "
                    "then {name} || (pg_input_error_info({c}::text, {t})).message end"
                ).format(c=ident, t=sql.Literal(column.landing_type), name=sql.Literal(f"{column.name}: "))
            )
    if not parts:
        return sql.SQL("null::text")
    return sql.SQL("nullif(concat_ws('; ', {parts}), '')").format(parts=sql.SQL(", ").join(parts))


def _quarantine(wh: psycopg.Connection, table: Table, load_id: int,
                rows: list[tuple[str, str | None, str | None, str]]) -> int:
    """rows: (row_key, row_data json text or None, raw_line or None, reason)."""
    with wh.cursor() as cur:
        cur.executemany(
            "insert into control.quarantine (load_id, table_name, row_key, row_data, raw_line, reason) "
            "values (%s, %s, %s, %s::jsonb, %s, %s)",
            [(load_id, table.name, key, data, line, reason) for key, data, line, reason in rows],
        )
    return len(rows)


def _rejected_rows(source: psycopg.Connection, table: Table, rows_query: sql.Composed,
                   problems: sql.Composed) -> list[tuple[str, str | None, str | None, str]]:
    """Rows of the interval that fail the checks, with their reasons (read as bytes, like the good rows)."""
    query = sql.SQL(
        "copy (select {key}::text, to_jsonb(t)::text, {problems} from ({rows}) as t "
        "where {problems} is not null) to stdout"
    ).format(key=sql.Identifier(table.key), problems=problems, rows=rows_query)
    result = []
    with source.cursor().copy(query) as copy:
        data = b"".join(bytes(chunk) for chunk in copy)
    for line in data.split(b"\n")[:-1]:
        key, row_data, reason = copy_fields(line)
        try:
            json.loads(row_data)
        except ValueError:  # broken encoding inside the row: keep the text as it came
            result.append((key, None, row_data, reason))
        else:
            result.append((key, row_data, None, reason))
    return result


def _copy_batch(source: psycopg.Connection, wh: psycopg.Connection, table: Table, load_id: int,
                wm_from: datetime | None, wm_to: datetime) -> tuple[int, int, int]:
    rows_query = _interval(table, wm_from, wm_to)
    problems = problems_expression(table)
    columns = sql.SQL(", ").join(sql.Identifier(n) for n in table.column_names)
    # the first load's rows are all current (one row per key in the source); a later load's are marked
    # against the current versions of their keys once landed (vaxdw.extract_load.current)
    first = current.is_first_load(wh, table)
    if first:  # indexed in one sort after the rows are in (a first load is the whole table)
        current.drop_current_indexes(wh, table)
    good = sql.SQL(
        "copy (select t.*, {load_id}, {first} from ({rows}) as t where {problems} is null) to stdout"
    ).format(load_id=sql.Literal(load_id), first=sql.Literal(first), rows=rows_query, problems=problems)
    target = sql.SQL("copy raw.{table} ({cols}, _load_id, _is_current) from stdin").format(
        table=sql.Identifier(table.name), cols=columns)
    with source.transaction():
        source.execute("set transaction isolation level repeatable read, read only")
        # Read the source's bytes as they are stored (no server-side conversion, which would abort the
        # whole COPY on one badly encoded row); pipe_rows checks them as UTF-8 row by row.
        source.execute("set client_encoding to 'SQL_ASCII'")
        read = source.execute(sql.SQL("select count(*) from ({rows}) as t").format(rows=rows_query)).fetchone()[0]
        with wh.cursor() as wh_cur:
            with source.cursor().copy(good) as src_copy, wh_cur.copy(target) as wh_copy:
                stats = pipe_rows(src_copy, wh_copy)
            loaded = wh_cur.rowcount
        if first:
            wh.execute(table.current_index_ddl())
        elif loaded:
            current.mark_current_versions(wh, table, load_id)
        rejected = _rejected_rows(source, table, rows_query, problems)
    key_index = table.column_names.index(table.key)
    rejected += [
        (field_of(line, key_index), None, line.decode("utf-8", errors="backslashreplace"), reason)
        for line, reason in stats.bad_lines
    ]
    quarantined = _quarantine(wh, table, load_id, rejected) if rejected else 0
    return read, loaded, quarantined


def load_table(source_params: PgParams, warehouse_params: PgParams, table: Table,
               pipeline_run_id: str | None = None, lag_seconds: int = 0) -> LoadResult:
    """Load the rows of ``table`` changed since the last successful load. See the module doc."""
    started_at = clock.now()
    with connect(warehouse_params) as wh, connect(source_params, autocommit=True) as source:
        control.ensure_control(wh)
        wh.commit()
        load_id = wm_from = None
        try:
            with wh.transaction():
                lock_for_load(wh)  # loads one at a time, never during a dbt build (vaxdw.extract_load.lock)
                # The id is drawn under the lock, so load ids grow in commit order: the incremental
                # staging models read the loads above the highest id they hold.
                load_id = wh.execute("select nextval('control.load_id_seq')").fetchone()[0]
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
                if load_id is None:
                    load_id = wh.execute("select nextval('control.load_id_seq')").fetchone()[0]
                control.record_failure(wh, load_id, table.name, pipeline_run_id, started_at, wm_from,
                                       f"{type(exc).__name__}: {exc}")
            raise
    result = LoadResult(table.name, load_id, "succeeded", read, loaded, quarantined, wm_from, wm_to)
    log.info(result.as_text())
    return result


def load_all(source_params: PgParams, warehouse_params: PgParams, pipeline_run_id: str | None = None,
             lag_seconds: int = 0, only: list[str] | None = None) -> list[LoadResult]:
    """Load every contract table (or those named in ``only``) in dependency order."""
    return [
        load_table(source_params, warehouse_params, table, pipeline_run_id, lag_seconds)
        for table in tables()
        if only is None or table.name in only
    ]
