"""签核率统计 statement (DOMAIN.md §8.4): registration and vaccination sign-offs side by side per group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from exporters.event_statements import LEVEL_HEADERS, signatures
from exporters.statement import INTEGER, RATE, TEXT, Column, Statement, write_statement

TITLE = "签核率统计"
NOTES = (
    "注：1. 登记签核率＝首剂接种前（同日）完成知情同意签字的就诊人次／接种就诊人次。",
    "2. 接种签核率＝接种后规定时限内（默认±2小时，同日）且不早于登记签字完成签字的剂次／接种剂次。",
    "3. 迟签（超时限或跨日）与顺序异常（早于登记签字）单独计数，不计入签核数。",
    "4. 按人员分组时，登记签核按登记人员、接种签核按接种医生统计。",
)


def build_table(report: Any) -> pd.DataFrame:
    table = report.registration.merge(report.vaccination, on="group_code", how="outer", suffixes=("", "_vacc"))
    table["group_name"] = table["group_name"].fillna(table["group_name_vacc"])
    count_columns = ["visits", "reg_signed", "reg_late", "reg_unsigned", "doses", "vacc_signed", "vacc_late",
                     "vacc_out_of_order", "vacc_unsigned"]
    table[count_columns] = table[count_columns].fillna(0).astype("int64")
    return table.sort_values("group_code", na_position="last", ignore_index=True)


def build_statement(report: Any) -> Statement:
    label = "人员" if report.group_by == "staff" else LEVEL_HEADERS.get(report.level, "地区")
    reg, vacc = ("登记签核（按就诊人次）",), ("接种签核（按剂次）",)
    columns = [
        Column("group_code", f"{label}编码", TEXT),
        Column("group_name", label),
        Column("visits", "就诊人次", INTEGER, group=reg),
        Column("reg_signed", "签核数", INTEGER, group=reg),
        Column("reg_rate", "签核率", RATE, group=reg),
        Column("reg_late", "迟签", INTEGER, group=reg),
        Column("reg_unsigned", "未签", INTEGER, group=reg),
        Column("doses", "接种剂次", INTEGER, group=vacc),
        Column("vacc_signed", "签核数", INTEGER, group=vacc),
        Column("vacc_rate", "签核率", RATE, group=vacc),
        Column("vacc_late", "迟签", INTEGER, group=vacc),
        Column("vacc_out_of_order", "顺序异常", INTEGER, group=vacc),
        Column("vacc_unsigned", "未签", INTEGER, group=vacc),
    ]
    keys = [column.key for column in columns]
    table = build_table(report)
    return Statement(
        title=TITLE, subtitle="单位：人次、剂次", columns=columns,
        rows=[{key: record.get(key) for key in keys} for record in table.to_dict("records")],
        sheet_name="签核率", filters=dict(report.filters), totals=dict(report.totals), label_columns=2,
        signatures=signatures(), notes=NOTES,
    )


def write_signoff(report: Any, path: str | Path) -> Path:
    return write_statement(build_statement(report), path)
