"""The export audit log ``audit.export_log``: every restricted export attempt, allowed or refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from vaxdw.access.authorize import AccessDenied, ExportScope, Grant, authorize
from vaxdw.access.model import AccessModel
from vaxdw.db import PgParams, connect

AUDIT_DDL = """
create schema if not exists audit;
create table if not exists audit.export_log (
    export_log_id bigserial primary key,
    user_name text not null,
    requested_at timestamptz not null default now(),
    report text not null,
    action text not null,
    filters jsonb not null,
    row_count bigint,
    is_allowed boolean not null,
    reason text
);
"""


def ensure_audit_table(params: PgParams) -> None:
    with connect(params) as conn:
        conn.execute(AUDIT_DDL)


def log_export(
    params: PgParams,
    user: str,
    report: str,
    action: str,
    filters: dict[str, Any],
    row_count: int | None,
    allowed: bool,
    reason: str | None = None,
) -> None:
    with connect(params) as conn:
        conn.execute(AUDIT_DDL)
        conn.execute(
            "insert into audit.export_log (user_name, report, action, filters, row_count, is_allowed, reason) "
            "values (%s, %s, %s, %s, %s, %s, %s)",
            (user, report, action, json.dumps(filters, ensure_ascii=False, default=str), row_count, allowed,
             reason),
        )


def audited_export(
    params: PgParams,
    user: str,
    report: str,
    action: str,
    scope: ExportScope,
    run: Callable[[Grant], int],
    extra_filters: dict[str, Any] | None = None,
    model: AccessModel | None = None,
) -> int:
    """Authorise, run ``run(grant) -> row count``, and log the attempt either way.

    A refusal is logged and re-raised as :class:`AccessDenied`.
    """
    filters = {**scope.as_filters(), **(extra_filters or {})}
    try:
        grant = authorize(user, action, scope, model)
    except AccessDenied as exc:
        log_export(params, user, report, action, filters, None, False, str(exc))
        raise
    rows = run(grant)
    log_export(params, user, report, action, filters, rows, True)
    return rows
