"""The ``exchange`` schema (warehouse): upload items and batches, the push inbox, temperature-feed cursors,
and ``ops.alert_event`` (the events the ops issue delivers). Created idempotently."""

from __future__ import annotations

import logging

import psycopg

from vaxdw.extract_load.lock import lock_for_load

log = logging.getLogger(__name__)

DDL = """
create schema if not exists exchange;
create schema if not exists raw;
create schema if not exists ops;

-- One row per record version handed to a remote system (the idempotency key is the item's identity). Only
-- small columns: the status changes (queued → in_flight → accepted/rejected, retries) rewrite the whole row.
create table if not exists exchange.upload_item (
    item_id bigint generated always as identity primary key,
    target text not null,                 -- 'niis' (national system) or 'collab' (collaborative platform)
    category text not null,
    record_key text not null,
    record_id text not null,              -- the remote's stable record identifier
    idempotency_key text not null unique,
    version integer not null,             -- per record, increasing
    content_hash text not null,           -- md5 of the payload text
    payload_bytes integer,                -- octet length of the payload text (null: migrated, see below)
    source_load_id bigint,
    status text not null check (status in ('held_back', 'queued', 'superseded', 'in_flight',
                                           'accepted', 'rejected')),
    op text check (op in ('create', 'update')),
    hold_reason text,
    batch_id text,
    attempts integer not null default 0,
    error_code text,
    error_message text,
    resend_of bigint references exchange.upload_item (item_id),
    enqueued_at timestamptz not null default now(),
    first_sent_at timestamptz,
    last_sent_at timestamptz,
    feedback_at timestamptz
);
alter table exchange.upload_item add column if not exists payload_bytes integer;  -- layouts before 2026-11-27
create index if not exists upload_item_record_idx on exchange.upload_item (target, category, record_key, version);
-- No index involves status, batch_id or the timestamps, and pages keep free space: marking an item in flight
-- and storing its feedback are then heap-only (HOT) updates, which the first full upload of a province does
-- twice per record. The sender reads the queue once per round (outbox._ELIGIBLE_SQL), not per batch.
drop index if exists exchange.upload_item_pending_idx;
do $$ begin
    if not coalesce((select 'fillfactor=50' = any(reloptions) from pg_class
                     where oid = 'exchange.upload_item'::regclass), false) then
        alter table exchange.upload_item set (fillfactor = 50);
    end if;
end $$;

-- The record as sent, one row per item, written once in the transaction that creates the item and never
-- updated (insert-only: status changes of the item do not copy it). A resent item gets its own row. Deleted
-- once the item has been accepted for the retention (vaxdw/exchange/retention.py): an accepted item without
-- a payload row is a pruned one.
create table if not exists exchange.upload_payload (
    item_id bigint primary key references exchange.upload_item (item_id),
    payload jsonb not null
);

create table if not exists exchange.upload_batch (
    batch_id text primary key,
    target text not null,
    category text not null,
    created_at timestamptz not null default now(),
    finished_at timestamptz,
    status text not null check (status in ('sending', 'acknowledged', 'failed', 'refused')),
    record_count integer not null,
    attempts integer not null default 0,
    http_status integer,
    error text
);

-- Feedback exactly as the remote gave it, one row per item and response (kept for audit; of a pruned accepted
-- item only the latest row stays).
create table if not exists exchange.upload_feedback (
    feedback_id bigint generated always as identity primary key,
    item_id bigint not null references exchange.upload_item (item_id),
    batch_id text not null,
    status text not null check (status in ('accepted', 'rejected')),
    code text,
    message text,
    received_at timestamptz not null default now()
);
create index if not exists upload_feedback_item_idx on exchange.upload_feedback (item_id);

-- One row per retention run that removed payloads (the audit trail of what is no longer kept, and when).
create table if not exists exchange.payload_prune (
    prune_id bigint generated always as identity primary key,
    pruned_at timestamptz not null default now(),
    retention_days integer not null,
    cutoff timestamptz not null,          -- payloads of items accepted at or before this were removed
    payloads_removed bigint not null,
    feedback_removed bigint not null,
    bytes_removed bigint not null         -- estimate: the deleted rows and their index entries
);

create table if not exists exchange.watermark (
    target text not null,
    category text not null,
    last_load_id bigint not null,
    updated_at timestamptz not null default now(),
    primary key (target, category)
);

-- Pushes from the collaborative platform: the body is stored before the receiver answers.
create table if not exists exchange.inbox (
    push_id bigint generated always as identity primary key,
    message_id text,
    sender text not null,
    push_type text,
    received_at timestamptz not null default now(),
    content_type text,
    body bytea not null,
    body_sha256 text not null,
    status text not null check (status in ('received', 'validated', 'malformed', 'duplicate')),
    reason text,
    duplicate_of bigint,
    items_total integer not null default 0,
    items_valid integer not null default 0,
    items_rejected integer not null default 0,
    loaded_load_id bigint
);
create unique index if not exists inbox_message_uq on exchange.inbox (sender, message_id)
    where status <> 'duplicate' and message_id is not null;

create table if not exists exchange.inbox_item (
    push_id bigint not null references exchange.inbox (push_id),
    item_no integer not null,
    item_type text,
    item_key text,
    item_version bigint,
    payload jsonb,
    status text not null check (status in ('valid', 'rejected')),
    reason_code text,
    reason text,
    primary key (push_id, item_no)
);

create table if not exists raw.collab_item (
    push_id bigint not null,
    item_no integer not null,
    message_id text,
    item_type text not null,
    item_key text not null,
    item_version bigint not null,
    payload jsonb not null,
    received_at timestamptz not null,
    _load_id bigint not null,
    _loaded_at timestamptz not null default now(),
    primary key (push_id, item_no)
);

-- Temperature feeds: per-vendor cursor, the readings in one model, rows that could not be mapped.
create table if not exists exchange.coldchain_cursor (
    vendor text primary key,
    cursor text not null,
    updated_at timestamptz not null default now()
);
create table if not exists raw.coldchain_device (
    vendor text not null,
    device_id text not null,
    unit_id text,
    device_name text,
    device_type text,
    min_c numeric,
    max_c numeric,
    expected_interval_minutes integer,
    _load_id bigint not null,
    _loaded_at timestamptz not null default now()
);
create table if not exists raw.coldchain_reading (
    vendor text not null,
    device_id text not null,
    measured_at timestamptz not null,
    temperature_c numeric(6, 2) not null,
    uploaded_at timestamptz,
    _load_id bigint not null,
    _loaded_at timestamptz not null default now()
);
create index if not exists coldchain_reading_device_idx on raw.coldchain_reading (device_id, measured_at);
create table if not exists exchange.coldchain_reject (
    reject_id bigint generated always as identity primary key,
    vendor text not null,
    load_id bigint not null,
    raw_line text,
    reason text not null,
    rejected_at timestamptz not null default now()
);
create sequence if not exists exchange.load_id_seq start 1000000000;

-- Alert events (delivered by the ops issue to DingTalk / email); event_key makes raising idempotent.
create table if not exists ops.alert_event (
    event_id bigint generated always as identity primary key,
    event_key text not null unique,
    source text not null,
    severity text not null,
    unit_id text,
    title_zh text not null,
    detail jsonb not null,
    occurred_at timestamptz not null,
    created_at timestamptz not null default now(),
    delivered_at timestamptz
);
"""

RECONCILIATION_VIEW = """
create or replace view exchange.reconciliation as
-- Per target, category and day of first sending: every sent item is accepted, rejected (per the latest
-- feedback row) or still in flight (no feedback yet). The item's own status must agree with the feedback.
with sent as (
    select
        item_id,
        target,
        category,
        (first_sent_at at time zone 'Asia/Shanghai')::date as sent_date,
        status
    from exchange.upload_item
    where first_sent_at is not null
),
last_feedback as (
    select distinct on (item_id) item_id, status
    from exchange.upload_feedback
    order by item_id, feedback_id desc
),
joined as (
    select
        sent.target,
        sent.category,
        sent.sent_date,
        sent.status as item_status,
        last_feedback.status as feedback_status
    from sent
    left join last_feedback on sent.item_id = last_feedback.item_id
)
select
    target,
    category,
    sent_date,
    count(*) as sent,
    count(*) filter (where feedback_status = 'accepted') as accepted,
    count(*) filter (where feedback_status = 'rejected') as rejected,
    count(*) filter (where feedback_status is null) as in_flight,
    count(*) filter (
        where item_status is distinct from coalesce(feedback_status, 'in_flight')
    ) as status_mismatches
from joined
group by target, category, sent_date;

create or replace view exchange.held_back as
select item.target, item.category, item.record_key, item.version, item.hold_reason, item.enqueued_at,
       upload_payload.payload
from exchange.upload_item as item
inner join exchange.upload_payload on item.item_id = upload_payload.item_id
where item.status = 'held_back';
"""


# Warehouses created before 2026-11-27 kept the payload in exchange.upload_item (issue 7: every status change
# copied it; 12 GB of a 19 GB demo warehouse). Moved to exchange.upload_payload, then the table is rewritten
# (CLUSTER, allowed in a transaction unlike VACUUM FULL) so the dropped column's space is returned at once.
# payload_bytes stays null on migrated items (an update would copy every old row once more before the
# rewrite); batch sizing reads such an item's size from its payload row (outbox._record_sizes).
_MIGRATE_PAYLOAD = """
drop view if exists exchange.held_back;
insert into exchange.upload_payload (item_id, payload)
select item_id, payload from exchange.upload_item
on conflict (item_id) do nothing;
alter table exchange.upload_item drop column payload;
cluster exchange.upload_item using upload_item_pkey;
"""


def ensure_schema(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('vaxdw.exchange.ddl'))")
        conn.execute(DDL)
        _migrate_payload(conn)
        conn.execute(RECONCILIATION_VIEW)


def _migrate_payload(conn: psycopg.Connection) -> None:
    old_layout = conn.execute("""
        select count(*) from pg_attribute
        where attrelid = 'exchange.upload_item'::regclass and attname = 'payload' and not attisdropped
    """).fetchone()[0]
    if not old_layout:
        return
    items = conn.execute("select count(*) from exchange.upload_item").fetchone()[0]
    log.warning("exchange.upload_item has the layout before 2026-11-27 (payload in the status row): moving %d "
                "payloads to exchange.upload_payload and rewriting the table (one-off, in one transaction)", items)
    conn.execute(_MIGRATE_PAYLOAD)
    log.warning("exchange.upload_item migrated: %d payloads in exchange.upload_payload", items)


def next_load_id(conn: psycopg.Connection) -> int:
    """Load ids for exchange loads; control.load_id_seq if the loader created it, else our own sequence.
    Drawn under the load lock, for the caller's transaction: ids grow in commit order with the loader's, and
    no exchange load commits during a dbt build (vaxdw.extract_load.lock)."""
    lock_for_load(conn)
    row = conn.execute("select to_regclass('control.load_id_seq')").fetchone()
    seq = "control.load_id_seq" if row[0] else "exchange.load_id_seq"
    return conn.execute(f"select nextval('{seq}')").fetchone()[0]
