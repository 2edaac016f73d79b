"""Retention of the upload outbox: the payload of an accepted item is removed once the retention has passed.

An item's payload (``exchange.upload_payload``, the record as sent) is needed while the item may still be
posted: queued and held-back items, items in flight (re-posted with the same idempotency key) and rejected ones
(``vaxdw exchange resend`` copies the rejected item's payload into the new item). ``accepted`` is final: the
sender never claims an accepted item again, and change detection compares the content hash kept on the item,
not the payload. So once an item has been accepted for ``VAXDW_EXCHANGE_PAYLOAD_RETENTION_DAYS`` (default 30,
counted from ``feedback_at``), its payload row is deleted; everything else stays (docs/exchange.md §3,
*Retention*):

- ``exchange.upload_item`` (identity, idempotency key, version, content hash, payload size, status, batch id,
  timestamps, error code): reconciliation counts it, change detection reads its hash, the sender its status;
- ``exchange.upload_feedback``: the latest row per item (what the reconciliation reads) and every row of a
  rejected item; earlier rows of a pruned accepted item (answers to re-posts, all ``accepted``) are removed;
- ``exchange.upload_batch`` and the watermarks, untouched.

The deletes run in bounded batches (one transaction per ``batch_size`` payload rows examined, in item id order),
so a first prune of a whole province does not hold one long transaction; a plain ``VACUUM`` afterwards makes the
space reusable for new payloads (the table stops growing, but keeps its size on disk: the rows still needed are
spread over its pages). ``compact=True`` (``vaxdw exchange prune --compact``) rewrites the two tables instead
(``VACUUM FULL``: only the rows kept are copied, the rest of the file goes back to the operating system) under an
exclusive lock, for the one-off after the first prune of a province. Every prune that removed something is
recorded in ``exchange.payload_prune``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import psycopg

from vaxdw.db import PgParams, connect
from vaxdw.exchange.schema import ensure_schema

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 30
DEFAULT_BATCH_SIZE = 10_000

# Bytes a deleted row frees beyond its column values: heap tuple header and line pointer, plus the primary key
# index entry and its line pointer (the feedback table has a second index, on item_id).
_PAYLOAD_ROW_OVERHEAD = 24 + 8 + 4 + 16 + 4
_FEEDBACK_INDEX_ENTRY = 16 + 4

TABLES = ("exchange.upload_item", "exchange.upload_payload", "exchange.upload_feedback")

_WINDOW_SQL = """
select coalesce(array_agg(item_id order by item_id), '{}')
from (select item_id from exchange.upload_payload where item_id > %(after)s order by item_id limit %(batch)s) as w
"""

# The accepted items of one window of payload rows: their payloads, then their earlier feedback rows.
_PRUNE_SQL = """
with doomed as (
    select item_id
    from exchange.upload_item
    where item_id = any(%(ids)s::bigint[]) and status = 'accepted' and feedback_at <= %(cutoff)s
),
removed as (
    delete from exchange.upload_payload as payload
    using doomed
    where payload.item_id = doomed.item_id
    returning payload.item_id, pg_column_size(payload.payload) as bytes
),
older_feedback as (
    delete from exchange.upload_feedback as feedback
    using doomed
    where feedback.item_id = doomed.item_id
      and exists (select 1 from exchange.upload_feedback as later
                  where later.item_id = feedback.item_id and later.feedback_id > feedback.feedback_id)
    returning pg_column_size(feedback.*) as bytes
)
select (select count(*) from removed), (select coalesce(sum(bytes), 0) from removed),
       (select count(*) from older_feedback), (select coalesce(sum(bytes), 0) from older_feedback)
"""

_DRY_RUN_SQL = """
with doomed as (
    select item.item_id, pg_column_size(payload.payload) as bytes
    from exchange.upload_item as item
    inner join exchange.upload_payload as payload on item.item_id = payload.item_id
    where item.status = 'accepted' and item.feedback_at <= %(cutoff)s
),
older_feedback as (
    select pg_column_size(feedback.*) as bytes
    from exchange.upload_feedback as feedback
    inner join doomed on feedback.item_id = doomed.item_id
    where exists (select 1 from exchange.upload_feedback as later
                  where later.item_id = feedback.item_id and later.feedback_id > feedback.feedback_id)
)
select (select count(*) from doomed), (select coalesce(sum(bytes), 0) from doomed),
       (select count(*) from older_feedback), (select coalesce(sum(bytes), 0) from older_feedback)
"""


class RetentionError(ValueError):
    """The retention setting is not allowed (message in Chinese, for the operator)."""


@dataclass
class PruneResult:
    retention_days: int
    cutoff: datetime
    dry_run: bool = False
    payloads_removed: int = 0
    feedback_removed: int = 0
    bytes_removed: int = 0  # estimate: the deleted rows and their index entries (reusable for new rows)
    batches: int = 0
    seconds: float = 0.0
    table_bytes_before: dict[str, int] = field(default_factory=dict)
    table_bytes_after: dict[str, int] = field(default_factory=dict)  # after the vacuum (what is on disk)
    compacted: bool = False

    def as_text(self) -> str:
        head = "上传报文清理（预演，未删除）" if self.dry_run else "上传报文清理"
        lines = [f"{head}: 保留 {self.retention_days} 天, 清除 {self.cutoff.isoformat()} 之前已被接收的记录报文",
                 f"  payloads removed {self.payloads_removed:,}, earlier feedback rows removed "
                 f"{self.feedback_removed:,}, about {self.bytes_removed / 2**20:,.1f} MiB freed for reuse"
                 f" ({self.batches} batches, {self.seconds:,.1f} s)"]
        for table, before in self.table_bytes_before.items():
            after = self.table_bytes_after.get(table, before)
            lines.append(f"  {table:<26} {before / 2**20:>10,.1f} MiB -> {after / 2**20:>10,.1f} MiB on disk")
        return "\n".join(lines)


def check_retention(days: int) -> int:
    if days < 0:
        raise RetentionError(f"上传报文保留期不能为负数：{days} 天")
    return days


def prune_payloads(warehouse: PgParams, retention_days: int = DEFAULT_RETENTION_DAYS, now: datetime | None = None,
                   batch_size: int = DEFAULT_BATCH_SIZE, vacuum: bool = True, compact: bool = False,
                   dry_run: bool = False) -> PruneResult:
    """Delete the payloads of items accepted at or before ``now - retention_days`` (``now``: the database's
    clock unless given), and earlier feedback rows of those items; the last feedback row stays."""
    check_retention(retention_days)
    started = time.perf_counter()
    with connect(warehouse, autocommit=True) as conn:
        ensure_schema(conn)
        if now is None:
            now = conn.execute("select now()").fetchone()[0]
        result = PruneResult(retention_days, now - timedelta(days=retention_days), dry_run=dry_run,
                             compacted=compact and not dry_run)
        result.table_bytes_before = _sizes(conn)
        if dry_run:
            payloads, payload_bytes, feedback, feedback_bytes = conn.execute(
                _DRY_RUN_SQL, {"cutoff": result.cutoff}).fetchone()
            _add(result, payloads, payload_bytes, feedback, feedback_bytes)
        else:
            _prune(conn, result, max(1, batch_size))
            if result.payloads_removed:
                _record(conn, result)
            if compact:  # also after an earlier prune that only vacuumed
                log.info("exchange outbox retention: rewriting exchange.upload_payload and upload_feedback")
                conn.execute("vacuum (full, analyze) exchange.upload_payload, exchange.upload_feedback")
            elif vacuum and result.payloads_removed:
                conn.execute("vacuum (analyze) exchange.upload_payload, exchange.upload_feedback")
        result.table_bytes_after = _sizes(conn)
    result.seconds = round(time.perf_counter() - started, 2)
    log.info("exchange outbox retention (%d days, cutoff %s%s): %d payloads and %d earlier feedback rows removed, "
             "about %d bytes", retention_days, result.cutoff.isoformat(), ", dry run" if dry_run else "",
             result.payloads_removed, result.feedback_removed, result.bytes_removed)
    return result


def _prune(conn: psycopg.Connection, result: PruneResult, batch_size: int) -> None:
    after = 0
    while True:
        with conn.transaction():
            ids = conn.execute(_WINDOW_SQL, {"after": after, "batch": batch_size}).fetchone()[0]
            if not ids:
                return
            payloads, payload_bytes, feedback, feedback_bytes = conn.execute(
                _PRUNE_SQL, {"ids": ids, "cutoff": result.cutoff}).fetchone()
        after = ids[-1]
        result.batches += 1
        _add(result, payloads, payload_bytes, feedback, feedback_bytes)


def _add(result: PruneResult, payloads: int, payload_bytes: int, feedback: int, feedback_bytes: int) -> None:
    result.payloads_removed += payloads
    result.feedback_removed += feedback
    result.bytes_removed += int(payload_bytes) + payloads * _PAYLOAD_ROW_OVERHEAD \
        + int(feedback_bytes) + feedback * (4 + 2 * _FEEDBACK_INDEX_ENTRY)


def _record(conn: psycopg.Connection, result: PruneResult) -> None:
    conn.execute("""
        insert into exchange.payload_prune (retention_days, cutoff, payloads_removed, feedback_removed,
                                            bytes_removed)
        values (%s, %s, %s, %s, %s)
    """, (result.retention_days, result.cutoff, result.payloads_removed, result.feedback_removed,
          result.bytes_removed))


def _sizes(conn: psycopg.Connection) -> dict[str, int]:
    return {name: conn.execute("select pg_total_relation_size(%s)", (name,)).fetchone()[0] for name in TABLES}
