"""审计日志报表: every audit record of a period, by month × kind × user (counts) and in detail.

Sources: exports (``audit.export_log``, allowed and refused), repairs (``curated.repair_audit``, one
event per repair batch applied or undone, with the cells it changed), logins to the CLI/exporters,
configuration changes and retention purges (``audit.event_log``). A table that does not exist yet
contributes nothing. Months are Asia/Shanghai calendar months.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from vaxdw.audit.events import KINDS as EVENT_KINDS
from vaxdw.db import PgParams, connect

KIND_LABELS = {"export": "导出", "repair": "修复", **EVENT_KINDS}

_SOURCES = {
    "audit.export_log": """
        select requested_at as occurred_at, 'export' as kind, user_name, report as subject,
            action || ' ' || filters::text as content,
            case when is_allowed then '允许，' || coalesce(row_count, 0) || ' 行' else '拒绝：' || coalesce(reason, '') end
                as outcome,
            not is_allowed as is_failure
        from audit.export_log""",
    "curated.repair_audit": """
        select min(changed_at), 'repair', changed_by, rule_id,
            case event when 'apply' then '应用' else '撤销' end || '修复批次 ' || repair_id || '，'
                || count(*) || ' 处修改',
            event, false
        from curated.repair_audit group by repair_id, event, rule_id, changed_by""",
    "audit.event_log": """
        select occurred_at, kind, user_name, subject,
            coalesce(nullif(detail::text, '{}'), '')
                || coalesce('  旧 ' || left(old_hash, 12), '') || coalesce('  新 ' || left(new_hash, 12), ''),
            outcome, kind = 'login' and outcome is distinct from 'exit 0'
        from audit.event_log""",
}


@dataclass
class AuditReport:
    month_from: date
    month_to: date
    summary: list[dict] = field(default_factory=list)  # month, kind, kind_zh, user_name, events, failures
    detail: list[dict] = field(default_factory=list)
    filters: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(row["events"] for row in self.summary)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def query_audit_report(params: PgParams, month_from: date, month_to: date, user: str | None = None,
                       kind: str | None = None) -> AuditReport:
    """Audit records from the first day of ``month_from``'s month to the end of ``month_to``'s month."""
    if kind is not None and kind not in KIND_LABELS:
        raise ValueError(f"未知的审计类别 {kind}；可选：{', '.join(KIND_LABELS)}")
    start, end = month_from.replace(day=1), _next_month(month_to.replace(day=1))
    report = AuditReport(start, end)
    report.filters = {"期间": f"{start:%Y年%m月}至{month_to:%Y年%m月}", "用户": user or "全部",
                      "类别": KIND_LABELS[kind] if kind else "全部"}
    with connect(params) as conn:
        present = [sql for table, sql in _SOURCES.items()
                   if conn.execute("select to_regclass(%s) is not null", (table,)).fetchone()[0]]
        if not present:
            return report
        records = f"""
            with records (occurred_at, kind, user_name, subject, content, outcome, is_failure) as (
                {' union all '.join(present)}
            )
            select * from records
            where occurred_at >= %(start)s and occurred_at < %(end)s
                and (%(user)s::text is null or user_name = %(user)s)
                and (%(kind)s::text is null or kind = %(kind)s)
        """
        args = {"start": start, "end": end, "user": user, "kind": kind}
        for month, kind_, user_name, events, failures in conn.execute(
            f"select to_char(occurred_at, 'YYYY-MM'), kind, user_name, count(*), count(*) filter (where is_failure) "
            f"from ({records}) as r group by 1, 2, 3 order by 1, 2, 3", args,
        ):
            report.summary.append({"month": month, "kind": kind_, "kind_zh": KIND_LABELS[kind_],
                                   "user_name": user_name, "events": events, "failures": failures})
        for occurred_at, kind_, user_name, subject, content, outcome, _ in conn.execute(
            f"{records} order by occurred_at, kind, user_name", args,
        ):
            report.detail.append({"occurred_at": occurred_at.replace(tzinfo=None), "kind_zh": KIND_LABELS[kind_],
                                  "user_name": user_name, "subject": subject, "content": content,
                                  "outcome": outcome})
    return report
