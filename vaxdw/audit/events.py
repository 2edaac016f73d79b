"""``audit.event_log``: logins to the CLI/exporters, configuration changes, the audit purge's own runs.

- login: a named user (``--user``) invoking a restricted command; one row when the command starts,
  completed with its exit status (or error) when it ends.
- config_change: a configuration applied to the warehouse (config/access.yaml by ``access sync``, the
  quality rule catalogue by a check run) whose content hash differs from the last one recorded for it;
  the row keeps the old and new SHA-256 and who applied it.
- retention_purge: a run of the retention purge, with the rows deleted per table.
"""

from __future__ import annotations

import dataclasses
import getpass
import hashlib
import json
import os
from datetime import datetime
from typing import Any

from vaxdw.db import PgParams, connect

KINDS = {"login": "登录", "config_change": "配置变更", "retention_purge": "审计清理"}

DDL = """
create schema if not exists audit;
create table if not exists audit.event_log (
    event_id bigserial primary key,
    occurred_at timestamptz not null default now(),
    kind text not null check (kind in ('login', 'config_change', 'retention_purge')),
    user_name text not null,
    subject text not null,
    detail jsonb not null default '{}'::jsonb,
    old_hash text,
    new_hash text,
    outcome text
);
create index if not exists event_log_kind_subject on audit.event_log (kind, subject, event_id);
create index if not exists event_log_occurred_at on audit.event_log (occurred_at);
"""


def ensure_event_log(conn) -> None:
    """Create the table when missing (only then: services may insert into it but not run DDL on it)."""
    if not conn.execute("select to_regclass('audit.event_log') is not null").fetchone()[0]:
        conn.execute("select pg_advisory_xact_lock(hashtext('audit.event_log ddl'))")
        conn.execute(DDL)


def operator() -> str:
    """Who is acting when no ``--user`` is given: VAXDW_OPERATOR, else the operating-system account."""
    return os.environ.get("VAXDW_OPERATOR") or f"os:{getpass.getuser()}"


def content_hash(value: Any) -> str:
    """SHA-256 of a configuration's content: bytes/str as they are, other objects as canonical JSON."""
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, str):
        data = value.encode()
    else:
        if dataclasses.is_dataclass(value):
            value = dataclasses.asdict(value)
        data = json.dumps(value, sort_keys=True, ensure_ascii=False, default=_canonical).encode()
    return hashlib.sha256(data).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def insert_event(conn, kind: str, user: str, subject: str, detail: dict | None = None,
                 old_hash: str | None = None, new_hash: str | None = None, outcome: str | None = None,
                 at: datetime | None = None) -> int:
    """One audit row; ``occurred_at`` is ``at`` when given (an aware datetime), else the database's now()."""
    ensure_event_log(conn)
    return conn.execute(
        "insert into audit.event_log (occurred_at, kind, user_name, subject, detail, old_hash, new_hash, outcome) "
        "values (coalesce(%s::timestamptz, now()), %s, %s, %s, %s, %s, %s, %s) returning event_id",
        (at, kind, user, subject, json.dumps(detail or {}, ensure_ascii=False, default=str), old_hash, new_hash,
         outcome),
    ).fetchone()[0]


def record_config(params: PgParams, name: str, content: Any, user: str | None = None,
                  source: str = "", at: datetime | None = None) -> bool:
    """Record that configuration ``name`` with ``content`` was applied, if it changed. True if recorded.

    ``at``: when it was applied (default: the database's now())."""
    new_hash = content_hash(content)
    with connect(params) as conn:
        ensure_event_log(conn)
        conn.execute("select pg_advisory_xact_lock(hashtext('audit.config:' || %s))", (name,))
        row = conn.execute(
            "select new_hash from audit.event_log where kind = 'config_change' and subject = %s "
            "order by event_id desc limit 1", (name,),
        ).fetchone()
        old_hash = row[0] if row else None
        if old_hash == new_hash:
            return False
        insert_event(conn, "config_change", user or operator(), name, {"source": source}, old_hash, new_hash,
                     "applied", at=at)
    return True


def start_login(params: PgParams, user: str, command: str, argv: list[str]) -> int:
    with connect(params) as conn:
        return insert_event(conn, "login", user, command, {"argv": argv}, outcome="started")


def finish_login(params: PgParams, event_id: int, outcome: str) -> None:
    with connect(params) as conn:
        conn.execute("update audit.event_log set outcome = %s where event_id = %s", (outcome, event_id))
