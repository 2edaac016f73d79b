"""接种率监测 statement (DOMAIN §2.2): sheet 1 应种/实种/接种率 by region and dose for the period,
sheet 2 dropout rates (DTaP1→3, MMR1→2). Counts are additive; rates are recomputed for the 合计 row."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from exporters.statement import INTEGER, RATE, TEXT, Column, Statement, check_sheet_name, render_statement
from vaxdw import clock

TITLE = "国家免疫规划疫苗常规免疫接种率监测表"
DROPOUT_TITLE = "脱漏率（退出率）统计表"


def _signatures(prepared_on: date | None) -> dict[str, str]:
    return {"填报单位": "", "制表人": "", "制表日期": (prepared_on or clock.today()).isoformat()}


def build_coverage_statement(report: Any, prepared_on: date | None = None) -> Statement:
    columns = [
        Column("region_code", "地区编码", TEXT),
        Column("region_name", "地区"),
        Column("dose_label", "疫苗剂次"),
        Column("due", "应种数", INTEGER),
        Column("given", "实种数", INTEGER),
        Column("coverage", "接种率", RATE),
        Column("plus_one", "其中应种+1实种+1", INTEGER),
    ]
    rows = []
    for record in report.rows.to_dict("records"):
        row = {col.key: record.get(col.key) for col in columns}
        row["dose_label"] = f"{record['category_name']}第{record['dose_no']}剂"
        rows.append(row)
    due, given = int(report.totals["due"].sum()), int(report.totals["given"].sum())
    totals = {"due": due, "given": given, "coverage": given / due if due else None,
              "plus_one": int(report.totals["plus_one"].sum())}
    notes = [
        "注：1. 应种：在册0～6岁儿童本月到达该剂次起始月龄者，加上此前12个月内到达起始月龄且本月前未接种者；"
        "满12个月仍未接种者自第13个月起不再计入应种（仍可补种）。",
        "2. 实种：应种儿童本月接种该剂次。临时接种儿童、7岁及以上补种儿童及已退出应种后补种的儿童，每接种一剂次计应种+1、实种+1。",
        "3. 接种率 = 实种数 / 应种数；多个月份合计即为累计接种率。按儿童管理单位统计。",
    ]
    return Statement(title=TITLE, subtitle="单位：剂次", columns=columns, rows=rows, sheet_name="接种率",
                     filters=dict(report.filters), totals=totals, label_columns=3,
                     signatures=_signatures(prepared_on), notes=notes)


def build_dropout_statement(report: Any, totals: dict[str, Any], prepared_on: date | None = None) -> Statement:
    columns = [Column("region_code", "地区编码", TEXT), Column("region_name", "地区")]
    for name, label in (("dtap", "百白破第1剂→第3剂"), ("mmr", "麻腮风第1剂→第2剂")):
        first, last = ("第1剂", "第3剂") if name == "dtap" else ("第1剂", "第2剂")
        columns += [
            Column(f"{name}_first", f"{first}实种", INTEGER, group=(label,)),
            Column(f"{name}_last", f"{last}实种", INTEGER, group=(label,)),
            Column(f"{name}_dropout", "脱漏率", RATE, group=(label,)),
        ]
    rows = [{col.key: record.get(col.key) for col in columns} for record in report.dropout.to_dict("records")]
    notes = ["注：脱漏率 =（前一剂次实种数 − 后一剂次实种数）/ 前一剂次实种数（WHO/DHIS2 口径），同一统计期、同一地区。"]
    return Statement(title=DROPOUT_TITLE, subtitle="单位：剂次", columns=columns, rows=rows, sheet_name="脱漏率",
                     filters=dict(report.filters), totals=totals, label_columns=2,
                     signatures=_signatures(prepared_on), notes=notes)


def write_coverage_monitoring(report: Any, path: str | Path, dropout_totals: dict[str, Any],
                              prepared_on: date | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    first = wb.active
    statement = build_coverage_statement(report, prepared_on)
    first.title = check_sheet_name(statement.sheet_name)
    render_statement(first, statement)
    dropout = build_dropout_statement(report, dropout_totals, prepared_on)
    render_statement(wb.create_sheet(check_sheet_name(dropout.sheet_name)), dropout)
    wb.save(path)
    return path
