"""Retention of the audit trail: delete audit rows older than the retention, in one transaction.

The default retention is 1095 days (3 years). The floor is 180 days: the Cybersecurity Law (网络安全法
第二十一条) and 等保2.0 三级 (GB/T 22239-2019, 安全审计) require network/audit logs to be kept for at least
six months; a shorter setting is refused. The purge records its own run (rows deleted per table, the
cutoff, who) in ``audit.event_log`` in the same transaction, so a purge can never remove evidence
without leaving a trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from psycopg import sql

from vaxdw import clock
from vaxdw.audit.events import ensure_event_log, insert_event, operator
from vaxdw.db import PgParams, connect

MIN_RETENTION_DAYS = 180
DEFAULT_RETENTION_DAYS = 1095

# audited table -> its timestamp column
AUDIT_TABLES: dict[str, str] = {
    "audit.export_log": "requested_at",
    "audit.event_log": "occurred_at",
    "curated.repair_audit": "changed_at",
}


class RetentionError(ValueError):
    """The retention setting is not allowed (message in Chinese, for the operator)."""


@dataclass
class PurgeResult:
    cutoff: datetime
    retention_days: int
    deleted: dict[str, int] = field(default_factory=dict)
    event_id: int | None = None
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.deleted.values())

    def as_text(self) -> str:
        head = "审计日志清理（预演，未删除）" if self.dry_run else "审计日志清理"
        lines = [f"{head}: 保留 {self.retention_days} 天, 删除早于 {self.cutoff.isoformat()} 的记录, "
                 f"共 {self.total} 行"]
        lines += [f"  {table}: {count}" for table, count in self.deleted.items()]
        return "\n".join(lines)


def check_retention(days: int) -> int:
    if days < MIN_RETENTION_DAYS:
        raise RetentionError(f"审计日志保留期 {days} 天少于 {MIN_RETENTION_DAYS} 天（网络安全法、等保三级要求至少六个月）")
    return days


def purge_audit(params: PgParams, retention_days: int, user: str | None = None, now: datetime | None = None,
                dry_run: bool = False) -> PurgeResult:
    """Delete audit rows older than ``now - retention_days`` from every audited table that exists."""
    check_retention(retention_days)
    now = now or clock.now()
    result = PurgeResult(now - timedelta(days=retention_days), retention_days, dry_run=dry_run)
    with connect(params) as conn:
        ensure_event_log(conn)
        for table, column in AUDIT_TABLES.items():
            if not conn.execute("select to_regclass(%s) is not null", (table,)).fetchone()[0]:
                continue
            schema, name = table.split(".")
            target = sql.Identifier(schema, name)
            conn.execute(sql.SQL("lock table {} in share row exclusive mode").format(target))
            if dry_run:
                query = sql.SQL("select count(*) from {} where {} < %s")
            else:
                query = sql.SQL("with gone as (delete from {} where {} < %s returning 1) select count(*) from gone")
            result.deleted[table] = conn.execute(
                query.format(target, sql.Identifier(column)), (result.cutoff,)).fetchone()[0]
        if not dry_run:
            result.event_id = insert_event(
                conn, "retention_purge", user or operator(), "audit retention",
                {"retention_days": retention_days, "cutoff": result.cutoff.isoformat(), "deleted": result.deleted},
                outcome=f"deleted {result.total}")
        else:
            conn.rollback()
    return result
