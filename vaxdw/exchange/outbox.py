"""The upload outbox: changed records → items with stable idempotency keys → batches → per-record feedback.

Guarantees (tested against the simulators under faults, tests/integration/test_exchange_upload_faults.py):
- every enqueued record version is an ``exchange.upload_item`` row written in the same transaction as the
  watermark move, so nothing changed is skipped and nothing is enqueued twice;
- an item is marked ``in_flight`` (and committed) *before* its batch is posted; a crash, a timeout or a lost
  response leaves it in flight, and the next run posts it again with the same idempotency key, which the
  remote answers from its idempotency store: a record is never created twice;
- one item per record is in flight at a time, versions go out in order; a newer version supersedes an older
  one that was never sent;
- feedback (accepted / rejected with code and message) is stored per item; ``exchange.reconciliation``
  shows sent = accepted + rejected + in flight per category and day.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import psycopg

from vaxdw.db import PgParams, connect
from vaxdw.exchange.categories import CATEGORIES, Category
from vaxdw.exchange.client import BatchRefused, TransientError, UploadClient
from vaxdw.exchange.config import Limits
from vaxdw.exchange.gate import held_back_reasons
from vaxdw.exchange.schema import ensure_schema

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
Hook = Callable[[str, list[int]], None]


@dataclass
class EnqueueResult:
    category: str
    enabled: bool
    candidates: int = 0
    enqueued: int = 0
    held_back: int = 0
    unchanged: int = 0
    superseded: int = 0


@dataclass
class SendResult:
    category: str
    batches: int = 0
    items_sent: int = 0
    accepted: int = 0
    rejected: int = 0
    retries: int = 0
    left_in_flight: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def relations_exist(conn: psycopg.Connection, names: tuple[str, ...]) -> bool:
    return all(conn.execute("select to_regclass(%s)", (name,)).fetchone()[0] for name in names)


def enqueue_changes(warehouse: PgParams, category: Category) -> EnqueueResult:
    """Turn the category's changed rows into queued (or held-back) items; move the watermark."""
    with connect(warehouse, autocommit=True) as conn:
        ensure_schema(conn)
        if not relations_exist(conn, category.requires):
            return EnqueueResult(category.name, enabled=False)
    held = held_back_reasons(warehouse, category.gate_table, category.name)
    with connect(warehouse, autocommit=True) as conn, conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('vaxdw.exchange.enqueue.' || %s))",
                     (category.target + category.name,))
        row = conn.execute("select last_load_id from exchange.watermark where target = %s and category = %s",
                           (category.target, category.name)).fetchone()
        wm = row[0] if row else 0
        new_wm = wm
        if category.max_load_sql:
            new_wm = conn.execute(category.max_load_sql).fetchone()[0] or wm
        conn.execute("""
            create temp table cand (record_key text primary key, load_id bigint, payload jsonb,
                                    content_hash text, payload_bytes integer) on commit drop;
            create temp table held (record_key text primary key, reason text) on commit drop;
        """)
        conn.execute("insert into cand (record_key, load_id, payload, content_hash, payload_bytes) "
                     "select record_key, load_id, payload, md5(payload_text), octet_length(payload_text) "
                     f"from ({category.changed_sql}) as changed (record_key, load_id, payload) "
                     "cross join lateral (select payload::text as payload_text) as serialised "
                     "on conflict (record_key) do nothing", {"wm": wm})
        with conn.cursor().copy("copy held (record_key, reason) from stdin") as copy:
            for key, reason in held.items():
                copy.write_row((key, reason))
        params = {"target": category.target, "category": category.name}
        conn.execute("""
            create temp table latest on commit drop as
            select distinct on (record_key) record_key, item_id, version, content_hash, status
            from exchange.upload_item
            where target = %(target)s and category = %(category)s
              and record_key in (select record_key from cand)
            order by record_key, version desc
        """, params)
        candidates = conn.execute("select count(*) from cand").fetchone()[0]
        # A held-back item whose record now passes the gate (same content) is released.
        conn.execute("""
            update exchange.upload_item as item set status = 'queued', hold_reason = null
            from latest
            inner join cand on cand.record_key = latest.record_key and cand.content_hash = latest.content_hash
            where item.item_id = latest.item_id and latest.status = 'held_back'
              and not exists (select 1 from held where held.record_key = latest.record_key)
        """)
        conn.execute("""
            create temp table changed on commit drop as
            select cand.*, coalesce(latest.version, 0) + 1 as version
            from cand
            left join latest on cand.record_key = latest.record_key
            where latest.record_key is null or latest.content_hash <> cand.content_hash
        """)
        superseded = conn.execute("""
            update exchange.upload_item as item set status = 'superseded'
            where target = %(target)s and category = %(category)s and status in ('queued', 'held_back')
              and record_key in (select record_key from changed)
        """, params).rowcount
        # The item (narrow, its status changes) and its payload (written once, here) in one statement.
        inserted = conn.execute("""
            with item as (
                insert into exchange.upload_item (target, category, record_key, record_id, idempotency_key,
                                                  version, content_hash, payload_bytes, source_load_id, status,
                                                  hold_reason)
                select %(target)s, %(category)s, changed.record_key, %(category)s || ':' || changed.record_key,
                       %(target)s || ':' || %(category)s || ':' || changed.record_key || ':v' || changed.version,
                       changed.version, changed.content_hash, changed.payload_bytes, changed.load_id,
                       case when held.record_key is null then 'queued' else 'held_back' end, held.reason
                from changed
                left join held on changed.record_key = held.record_key
                returning item_id, record_key
            )
            insert into exchange.upload_payload (item_id, payload)
            select item.item_id, changed.payload
            from item
            inner join changed on item.record_key = changed.record_key
        """, params).rowcount
        held_count = conn.execute("select count(*) from changed inner join held using (record_key)").fetchone()[0]
        conn.execute("""
            insert into exchange.watermark (target, category, last_load_id) values (%(target)s, %(category)s, %(wm)s)
            on conflict (target, category) do update set last_load_id = excluded.last_load_id, updated_at = now()
        """, {**params, "wm": new_wm})
    if inserted:
        with connect(warehouse, autocommit=True) as conn:
            conn.execute("analyze exchange.upload_item")  # fresh statistics for the sender's queries
    return EnqueueResult(category.name, True, candidates, inserted, held_count, candidates - inserted, superseded)


# Every item the sender may post now: those in flight (outcome unknown: posted again with the same key), then
# queued ones whose record has no older version in flight. One set-based query per round (not per batch:
# a per-batch scan of the queue made the first full upload quadratic).
_ELIGIBLE_SQL = """
with in_flight as materialized (
    select item_id, record_key, version
    from exchange.upload_item
    where target = %(target)s and category = %(category)s and status = 'in_flight'
)
select item_id, true as was_in_flight from in_flight
union all
select item.item_id, false
from exchange.upload_item as item
where item.target = %(target)s and item.category = %(category)s and item.status = 'queued'
  and not exists (select 1 from in_flight where in_flight.record_key = item.record_key
                                             and in_flight.version < item.version)
order by was_in_flight desc, item_id
"""

# Claims one batch from the eligible ids, re-checking each item (another run may have changed it meanwhile).
_CLAIM_SQL = """
with claimable as (
    select item.item_id
    from exchange.upload_item as item
    where item.item_id = any(%(ids)s::bigint[])
      and (item.status = 'in_flight'
           or (item.status = 'queued' and not exists (
                select 1 from exchange.upload_item as older
                where older.target = item.target and older.category = item.category
                  and older.record_key = item.record_key and older.version < item.version
                  and older.status = 'in_flight')))
    for update skip locked
),
claimed as (
    update exchange.upload_item as item set
        status = 'in_flight',
        batch_id = %(batch_id)s,
        op = coalesce(item.op, case when exists (
            select 1 from exchange.upload_item as done
            where done.target = item.target and done.category = item.category
              and done.record_key = item.record_key and done.status = 'accepted') then 'update' else 'create' end),
        first_sent_at = coalesce(item.first_sent_at, now()),
        last_sent_at = now()
    from claimable
    where item.item_id = claimable.item_id
    returning item.item_id, item.record_id, item.idempotency_key, item.op, item.version
)
select claimed.*, upload_payload.payload::text
from claimed
inner join exchange.upload_payload on claimed.item_id = upload_payload.item_id
"""


def _eligible(conn: psycopg.Connection, category: Category) -> list[int]:
    rows = conn.execute(_ELIGIBLE_SQL, {"target": category.target, "category": category.name}).fetchall()
    return [row[0] for row in rows]


def _claim(conn: psycopg.Connection, category: Category, ids: list[int]) -> tuple[str, list[tuple]]:
    batch_id = f"{category.target}-{category.name}-{uuid.uuid4().hex[:16]}"
    with conn.transaction():
        rows = conn.execute(_CLAIM_SQL, {"ids": ids, "batch_id": batch_id}).fetchall()
        if rows:
            conn.execute(
                "insert into exchange.upload_batch (batch_id, target, category, status, record_count) "
                "values (%s, %s, %s, 'sending', %s)", (batch_id, category.target, category.name, len(rows)))
    return batch_id, sorted(rows)


def batch_body(batch_id: str, category: str, rows: list[tuple]) -> bytes:
    """The request body (docs/exchange.md §3), streamed from the stored payload text: each record's ``data`` is
    the warehouse's JSON as stored, never parsed and serialised again."""
    parts = ['{"batch_id":', _dumps(batch_id), ',"category":', _dumps(category), ',"records":[']
    for n, (_item_id, record_id, key, op, version, payload) in enumerate(rows):
        parts += [',' if n else '', '{"record_id":', _dumps(record_id), ',"idempotency_key":', _dumps(key),
                  ',"op":', _dumps(op), ',"version":', str(int(version)), ',"data":', payload, '}']
    parts.append(']}')
    return "".join(parts).encode("utf-8")


def _dumps(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _store_feedback(conn: psycopg.Connection, batch_id: str, rows: list[tuple], response: dict,
                    attempts: int) -> tuple[int, int]:
    by_key = {row[2]: row[0] for row in rows}
    ids, statuses, codes, messages = [], [], [], []
    seen: set[int] = set()
    for result in response["results"]:
        item_id = by_key.get(result.get("idempotency_key")) if isinstance(result, dict) else None
        status = result.get("status") if isinstance(result, dict) else None
        if item_id is None or item_id in seen or status not in ("accepted", "rejected"):
            log.warning("batch %s: ignoring result %s", batch_id, result)
            continue
        seen.add(item_id)
        ids.append(item_id)
        statuses.append(status)
        codes.append(result.get("code") if status == "rejected" else None)
        messages.append(result.get("message") if status == "rejected" else None)
    with conn.transaction():
        conn.execute("""
            with results as (
                select * from unnest(%(ids)s::bigint[], %(statuses)s::text[], %(codes)s::text[],
                                     %(messages)s::text[]) as r (item_id, status, code, message)
            ),
            feedback as (
                insert into exchange.upload_feedback (item_id, batch_id, status, code, message)
                select item_id, %(batch_id)s, status, code, message from results
            )
            update exchange.upload_item as item
            set status = results.status, error_code = results.code, error_message = results.message,
                feedback_at = now(), attempts = item.attempts + %(attempts)s
            from results
            where item.item_id = results.item_id
        """, {"ids": ids, "statuses": statuses, "codes": codes, "messages": messages, "batch_id": batch_id,
              "attempts": attempts})
        conn.execute("update exchange.upload_batch set status = 'acknowledged', finished_at = now(), "
                     "attempts = %s, http_status = 200 where batch_id = %s", (attempts, batch_id))
    return statuses.count("accepted"), statuses.count("rejected")


def _chunks(ids: list[int], sizes: dict[int, int], limits: Limits) -> Iterator[list[int]]:
    """Batches of at most ``limits.batch_size`` records and about ``limits.batch_bytes`` of record JSON."""
    chunk: list[int] = []
    size = 0
    for item_id in ids:
        item_size = sizes.get(item_id, 0)
        if chunk and (len(chunk) >= limits.batch_size
                      or (limits.batch_bytes and size + item_size > limits.batch_bytes)):
            yield chunk
            chunk, size = [], 0
        chunk.append(item_id)
        size += item_size
    if chunk:
        yield chunk


class _Stop(Exception):
    """Stop sending: the remote is down (items stay in flight) or refuses our credentials."""


class _Sender:
    """Posts batches, up to ``limits.concurrency`` at a time, each on its own connection.

    Per batch, in order: claim (items in flight, committed), POST with retries and backoff, ``after_send``
    hook, store the feedback — the same sequence whether one or several batches are in flight.
    """

    def __init__(self, warehouse: PgParams, client: UploadClient, category: Category, limits: Limits,
                 sleep: Sleep, after_send: Hook | None, result: SendResult):
        self.warehouse, self.client, self.category, self.limits = warehouse, client, category, limits
        self.sleep, self.after_send, self.result = sleep, after_send, result
        self.lock = threading.Lock()
        self.local = threading.local()
        self.conns: list[psycopg.Connection] = []
        self.stopped = threading.Event()

    def conn(self) -> psycopg.Connection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = psycopg.connect(self.warehouse.url, autocommit=True, client_encoding="utf8")
            self.local.conn = conn
            with self.lock:
                self.conns.append(conn)
        return conn

    def close(self) -> None:
        for conn in self.conns:
            conn.close()

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, n in counts.items():
                setattr(self.result, name, getattr(self.result, name) + n)

    def run_batch(self, ids: list[int]) -> int:
        """Send one batch; the number of items claimed (0: nothing left to claim among ``ids``)."""
        if self.stopped.is_set():
            return 0
        conn = self.conn()
        batch_id, rows = _claim(conn, self.category, ids)
        if not rows:
            return 0
        body = batch_body(batch_id, self.category.name, rows)
        self.add(batches=1, items_sent=len(rows))
        limits = self.limits
        response, attempts, last_error = None, 0, ""
        while attempts < limits.max_attempts:
            attempts += 1
            try:
                response = self.client.post_body(self.category.name, batch_id, body)
                break
            except TransientError as exc:
                log.info("batch %s attempt %d: %s", batch_id, attempts, exc)
                last_error = str(exc)
                if attempts < limits.max_attempts:
                    self.add(retries=1)
                    self.sleep(min(limits.backoff_cap_seconds, limits.backoff_seconds * 2 ** (attempts - 1)))
            except BatchRefused as exc:
                _refuse(conn, batch_id, rows, exc, attempts)
                if exc.http_status in (401, 403):
                    with self.lock:
                        self.result.errors.append(f"{batch_id}: {exc}")
                    self.stopped.set()
                    raise _Stop from exc
                self.add(rejected=len(rows))
                return len(rows)
        if response is None:
            with conn.transaction():
                conn.execute("update exchange.upload_batch set status = 'failed', finished_at = now(), "
                             "attempts = %s, error = %s where batch_id = %s", (attempts, last_error, batch_id))
            with self.lock:
                self.result.errors.append(f"{batch_id}: gave up after {attempts} attempts: {last_error}")
            self.stopped.set()  # the remote is down: the items stay in flight for the next run
            raise _Stop
        if self.after_send is not None:
            self.after_send(batch_id, [r[0] for r in rows])
        accepted, rejected = _store_feedback(conn, batch_id, rows, response, attempts)
        self.add(accepted=accepted, rejected=rejected)
        return len(rows)


def send_pending(warehouse: PgParams, client: UploadClient, category: Category, limits: Limits,
                 sleep: Sleep = time.sleep, after_send: Hook | None = None,
                 max_batches: int | None = None) -> SendResult:
    """Post the category's in-flight and queued items in batches until none is left or the remote fails.

    Up to ``limits.concurrency`` batches are in flight at once (each claimed and committed before its POST).
    ``sleep`` is the backoff's sleep (tests pass a recorder); ``after_send(batch_id, item_ids)`` runs after
    the remote answered and before the feedback is stored (tests raise there to simulate a crash: the other
    batches in flight finish, then the exception propagates).
    """
    result = SendResult(category.name)
    started = time.perf_counter()
    with connect(warehouse, autocommit=True) as conn:
        ensure_schema(conn)
        sender = _Sender(warehouse, client, category, limits, sleep, after_send, result)
        failure: BaseException | None = None
        try:
            with ThreadPoolExecutor(max_workers=max(1, limits.concurrency),
                                    thread_name_prefix=f"upload-{category.name}") as pool:
                while failure is None and not sender.stopped.is_set():
                    ids = _eligible(conn, category)
                    if not ids:
                        break
                    sizes = _record_sizes(conn, ids) if limits.batch_bytes else {}
                    claimed, pending = 0, set()
                    for chunk in _chunks(ids, sizes, limits):
                        if failure is not None or sender.stopped.is_set() \
                                or (max_batches is not None and result.batches + len(pending) >= max_batches):
                            break
                        while len(pending) >= max(1, limits.concurrency):
                            done, pending = wait(pending, return_when=FIRST_COMPLETED)
                            claimed, failure = _collect(done, claimed, failure)
                        if failure is None:
                            pending.add(pool.submit(sender.run_batch, chunk))
                    claimed, failure = _collect(pending, claimed, failure)
                    if claimed == 0 or (max_batches is not None and result.batches >= max_batches):
                        break  # nothing could be claimed (locked by another run), or the batch budget is spent
        finally:
            sender.close()
        if failure is not None:
            raise failure
        result.seconds = round(time.perf_counter() - started, 2)
        if result.items_sent:  # statistics as of now (a plan from pre-send statistics took minutes at 200k)
            conn.execute("analyze exchange.upload_item, exchange.upload_feedback")
        return _finish(conn, category, result)


def _collect(futures, claimed: int, failure: BaseException | None) -> tuple[int, BaseException | None]:
    for future in futures:
        try:
            claimed += future.result()
        except _Stop:
            pass
        except BaseException as exc:  # noqa: BLE001 - re-raised by send_pending after the other batches finish
            failure = failure or exc
    return claimed, failure


def _record_sizes(conn: psycopg.Connection, ids: list[int]) -> dict[int, int]:
    """Bytes each item adds to a request body (its payload text plus the record envelope)."""
    return dict(conn.execute("""
        select item_id, octet_length(record_id) + octet_length(idempotency_key) + 80 + coalesce(
            payload_bytes,  -- null on items migrated from the layout before 2026-11-27
            (select octet_length(payload::text) from exchange.upload_payload where upload_payload.item_id = item.item_id))
        from exchange.upload_item as item where item_id = any(%s::bigint[])
    """, (ids,)).fetchall())


def _refuse(conn: psycopg.Connection, batch_id: str, rows: list[tuple], exc: BatchRefused, attempts: int) -> None:
    """A 4xx for the whole batch. Auth errors leave the items in flight (configuration to fix, then resend);
    a refused body (400/413) is the batch's verdict: every item is rejected with the remote's code."""
    with conn.transaction():
        conn.execute("update exchange.upload_batch set status = 'refused', finished_at = now(), attempts = %s, "
                     "http_status = %s, error = %s where batch_id = %s",
                     (attempts, exc.http_status, f"{exc.code}: {exc.message}", batch_id))
        if exc.http_status in (401, 403):
            return
        ids = [row[0] for row in rows]
        conn.execute("insert into exchange.upload_feedback (item_id, batch_id, status, code, message) "
                     "select item_id, %s, 'rejected', %s, %s from unnest(%s::bigint[]) as item_id",
                     (batch_id, exc.code, exc.message, ids))
        conn.execute("update exchange.upload_item set status = 'rejected', error_code = %s, error_message = %s, "
                     "feedback_at = now() where item_id = any(%s::bigint[])", (exc.code, exc.message, ids))


def _finish(conn: psycopg.Connection, category: Category, result: SendResult) -> SendResult:
    result.left_in_flight = conn.execute(
        "select count(*) from exchange.upload_item where target = %s and category = %s and status = 'in_flight'",
        (category.target, category.name)).fetchone()[0]
    return result


def resend(warehouse: PgParams, category_name: str, record_keys: list[str] | None = None,
           codes: list[str] | None = None) -> int:
    """Queue rejected records again as new items (new version, new idempotency key, same content).

    For rejections fixed on the remote side (e.g. a code table updated there); data errors are corrected in
    the source system and arrive as a new version by themselves. Only a record's latest item is resent.
    """
    category = CATEGORIES[category_name]
    with connect(warehouse, autocommit=True) as conn, conn.transaction():
        ensure_schema(conn)
        # The new item gets its own copy of the payload row (every item has exactly one; resends are rare).
        return conn.execute("""
            with latest as (
                select distinct on (record_key) *
                from exchange.upload_item
                where target = %(target)s and category = %(category)s
                order by record_key, version desc
            ),
            item as (
                insert into exchange.upload_item (target, category, record_key, record_id, idempotency_key,
                                                  version, content_hash, payload_bytes, source_load_id, status,
                                                  resend_of)
                select target, category, record_key, record_id,
                       target || ':' || category || ':' || record_key || ':v' || (version + 1),
                       version + 1, content_hash, payload_bytes, source_load_id, 'queued', item_id
                from latest
                where status = 'rejected'
                  and (%(keys)s::text[] is null or record_key = any(%(keys)s::text[]))
                  and (%(codes)s::text[] is null or error_code = any(%(codes)s::text[]))
                returning item_id, resend_of
            )
            insert into exchange.upload_payload (item_id, payload)
            select item.item_id, original.payload
            from item
            inner join exchange.upload_payload as original on item.resend_of = original.item_id
        """, {"target": category.target, "category": category.name, "keys": record_keys, "codes": codes}).rowcount


def reconciliation(warehouse: PgParams) -> list[dict]:
    with connect(warehouse, autocommit=True) as conn:
        ensure_schema(conn)
        cur = conn.execute("select * from exchange.reconciliation order by target, category, sent_date")
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def status_counts(warehouse: PgParams) -> dict[str, dict[str, int]]:
    with connect(warehouse, autocommit=True) as conn:
        ensure_schema(conn)
        out: dict[str, dict[str, int]] = {}
        for category, status, n in conn.execute(
                "select target || '/' || category, status, count(*) from exchange.upload_item group by 1, 2"):
            out.setdefault(category, {})[status] = n
    return out


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
