"""审计日志报表 Excel: a summary sheet (month × kind × user, counts) and the detail sheet behind it."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from exporters.statement import INTEGER, TEXT, Column, Statement, check_sheet_name, render_statement
from vaxdw.audit.report import AuditReport

NOTES = (
    "统计口径：期间内（北京时间自然月）审计表中的全部记录：导出（含被拒绝的导出）、批量修复（每个修复批次的应用或撤销"
    "计一次）、登录（具名用户调用受限命令）、配置变更（配置内容哈希变化时记录旧/新哈希）、审计清理。",
    "“其中拒绝/失败”：被拒绝的导出，以及未以退出码 0 结束的登录会话。",
    "审计日志按保留期（VAXDW_AUDIT_RETENTION_DAYS，默认 1095 天，最少 180 天）清理，清理本身也记入审计。",
)

DETAIL_TIME = "yyyy-mm-dd hh:mm:ss"


def audit_statements(report: AuditReport) -> tuple[Statement, Statement]:
    summary = Statement(
        title="审计日志报表", sheet_name="汇总", filters=report.filters, label_columns=3, notes=NOTES,
        columns=[Column("month", "月份", TEXT), Column("kind_zh", "类别", TEXT), Column("user_name", "用户", TEXT),
                 Column("events", "记录数", INTEGER), Column("failures", "其中拒绝/失败", INTEGER)],
        rows=report.summary,
        totals={"events": report.total, "failures": sum(row["failures"] for row in report.summary)},
        signatures={"审计员": "", "制表日期": ""},
    )
    detail = Statement(
        title="审计日志明细", sheet_name="明细", filters=report.filters, label_columns=1,
        columns=[Column("occurred_at", "时间", DETAIL_TIME, width=20), Column("kind_zh", "类别", TEXT),
                 Column("user_name", "用户", TEXT), Column("subject", "对象", TEXT),
                 Column("content", "内容", TEXT, width=60), Column("outcome", "结果", TEXT)],
        rows=report.detail,
    )
    return summary, detail


def write_audit_report(report: AuditReport, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    for index, statement in enumerate(audit_statements(report)):
        ws = wb.active if index == 0 else wb.create_sheet()
        ws.title = check_sheet_name(statement.sheet_name)
        render_statement(ws, statement)
    wb.save(path)
    return path
