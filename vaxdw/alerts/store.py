"""The alert tables: ``monitor.alert_event`` (one row per episode of a key) and ``monitor.alert_delivery``."""

from __future__ import annotations

from vaxdw.db import PgParams, connect

DDL = """
create schema if not exists monitor;
create table if not exists monitor.alert_event (
    alert_id bigserial primary key,
    alert_key text not null,
    severity text not null check (severity in ('critical', 'warning', 'info')),
    source text not null,
    message_zh text not null,
    first_seen timestamptz not null default now(),
    last_seen timestamptz not null default now(),
    occurrences integer not null default 1,
    last_notified_at timestamptz,
    resolved_at timestamptz,
    recovery_notified_at timestamptz
);
create unique index if not exists alert_event_one_open_per_key
    on monitor.alert_event (alert_key) where resolved_at is null;
create table if not exists monitor.alert_delivery (
    delivery_id bigserial primary key,
    alert_id bigint not null references monitor.alert_event (alert_id),
    kind text not null check (kind in ('firing', 'recovery')),
    channel text not null,
    sent_at timestamptz not null default now(),
    ok boolean not null,
    error text
);
"""


def ensure_tables(params: PgParams) -> None:
    with connect(params) as conn:
        conn.execute(DDL)
