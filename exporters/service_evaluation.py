"""门诊服务评价统计 statement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exporters.event_statements import records, region_columns, signatures
from exporters.statement import INTEGER, Column, Statement, write_statement

TITLE = "门诊服务评价统计"
NOTES = (
    "注：1. 按评价日期统计。主动评价为受种者或监护人自行提交的评价，其余为评价期满后的系统默认评价。",
    "2. 各评分等级及平均分仅统计主动评价；评分不在1–5分的为无效评分，单独计数。",
)


def build_statement(report: Any) -> Statement:
    ratings = ("主动评价评分",)
    columns = [
        *region_columns(report.level),
        Column("evaluations", "评价总数", INTEGER),
        Column("active", "主动评价数", INTEGER),
        *[Column(f"rating_{n}", f"{n}分", INTEGER, group=ratings) for n in (5, 4, 3, 2, 1)],
        Column("mean_rating", "平均分", "0.00", group=ratings),
        Column("invalid", "无效评分", INTEGER),
    ]
    keys = [column.key for column in columns]
    return Statement(
        title=TITLE, subtitle="单位：条", columns=columns, rows=records(report.rows, keys), sheet_name="服务评价",
        filters=dict(report.filters), totals=dict(report.totals), label_columns=2, signatures=signatures(),
        notes=NOTES,
    )


def write_service_evaluation(report: Any, path: str | Path) -> Path:
    return write_statement(build_statement(report), path)
