"""省内迁出报表 statement and its streamed detail (DOMAIN.md §8.8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exporters.event_statements import records, region_columns, signatures
from exporters.statement import INTEGER, Column, Statement, write_detail, write_statement

TITLE = "省内迁出报表"
NOTES = (
    "注：1. 发起数按发起日期统计；已接收、已拒绝按接收/拒绝日期统计；已撤回按撤回日期统计。",
    "2. 待接收为截至统计截止日已发起而未接收、拒绝或撤回的申请；超时待接收为其中发起超过规定天数的申请。",
    "3. 接收用时中位数为统计期内已接收申请的（接收时间－发起时间）中位数，单位：天。",
)


def build_statement(report: Any) -> Statement:
    columns = [
        *region_columns(report.level),
        Column("initiated", "发起数", INTEGER),
        Column("pending", "待接收", INTEGER, group=("截至统计截止日",)),
        Column("overdue_pending", "其中超时", INTEGER, group=("截至统计截止日",)),
        Column("accepted", "已接收", INTEGER, group=("统计期内处理",)),
        Column("rejected", "已拒绝", INTEGER, group=("统计期内处理",)),
        Column("withdrawn", "已撤回", INTEGER, group=("统计期内处理",)),
        Column("median_days_to_accept", "接收用时中位数(天)", "0.00"),
    ]
    keys = [column.key for column in columns]
    return Statement(
        title=TITLE, subtitle="单位：例", columns=columns, rows=records(report.rows, keys), sheet_name="省内迁出",
        filters=dict(report.filters), totals=dict(report.totals), label_columns=2, signatures=signatures(),
        notes=NOTES,
    )


def write_migration_out(report: Any, path: str | Path) -> Path:
    return write_statement(build_statement(report), path)


def write_migration_detail(rows, columns, path: str | Path, filters: dict[str, str]) -> Path:
    return write_detail(rows, columns, path, f"{TITLE}明细", filters=filters)
