"""留观率统计表 statement (DOMAIN.md §8.3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exporters.event_statements import records, region_columns, signatures
from exporters.statement import INTEGER, RATE, Column, Statement, write_statement

TITLE = "留观率统计表"
NOTES = (
    "注：1. 接种就诊人次按“受种者＋接种单位＋接种日期”计，一次就诊接种多剂次计1人次。",
    "2. 留观登记率＝有留观记录的人次／接种就诊人次。",
    "3. 留观达标率＝留观结束时间距末剂接种时间不少于规定分钟数（默认30分钟）或留观期间发生疑似异常反应的人次"
    "／接种就诊人次。",
)


def build_statement(report: Any) -> Statement:
    columns = [
        *region_columns(report.level),
        Column("visits", "接种就诊人次", INTEGER),
        Column("recorded", "人次", INTEGER, group=("留观登记",)),
        Column("recorded_rate", "登记率", RATE, group=("留观登记",)),
        Column("completed", "人次", INTEGER, group=("留观达标",)),
        Column("completed_rate", "达标率", RATE, group=("留观达标",)),
        Column("with_aefi", "留观期间异常反应人次", INTEGER),
    ]
    keys = [column.key for column in columns]
    return Statement(
        title=TITLE, subtitle="单位：人次", columns=columns, rows=records(report.rows, keys), sheet_name="留观率",
        filters=dict(report.filters), totals=dict(report.totals), label_columns=2, signatures=signatures(),
        notes=NOTES,
    )


def write_observation(report: Any, path: str | Path) -> Path:
    return write_statement(build_statement(report), path)
