"""异常数据报表 Excel: a printed summary (area × rule, counts of non-conforming records) and a
streamed detail workbook (every record, for drill-down and repair)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from exporters.statement import INTEGER, TEXT, Column, Statement, write_detail, write_statement
from vaxdw.quality.anomalies import LEVEL_LABELS, SEVERITY_LABELS, AnomalyReport

DETAIL_COLUMNS = [
    ("rule_id", "规则编号", TEXT), ("rule_name_zh", "规则名称", TEXT), ("severity_zh", "严重程度", TEXT),
    ("table_name", "检查表", TEXT), ("row_key", "记录主键", TEXT), ("recipient_id", "受种者编号", TEXT),
    ("vaccination_id", "接种记录编号", TEXT), ("value", "异常值", TEXT), ("message_zh", "提示信息", TEXT),
    ("unit_id", "单位编码", TEXT), ("unit_name", "单位名称", TEXT), ("township_name", "乡镇(街道)", TEXT),
    ("county_name", "县(区)", TEXT), ("city_name", "市", TEXT), ("detected_at", "发现时间", TEXT),
]  # fmt: skip

NOTES = (
    "统计口径：当前仍不符合数据质量规则的记录数（每次数据装载后对新批次执行检查，修复后重新检查）。",
    "严重程度为“错误”的记录在上报国家免疫规划信息系统前被拦截（上传拦截清单）。",
    "同一记录违反多条规则时在每条规则下各计一次。规则定义见 docs/quality.md。",
)


def anomaly_statement(report: AnomalyReport) -> Statement:
    wide = report.rows.pivot_table(index=["area_code", "area_name"], columns="rule_id", values="records",
                                   aggfunc="sum", fill_value=0) if len(report.rows) else pd.DataFrame()
    rules = list(report.by_rule["rule_id"]) if len(report.by_rule) else []
    names = dict(zip(report.by_rule.get("rule_id", []), report.by_rule.get("rule_name_zh", []), strict=False))
    level = LEVEL_LABELS[report.level]
    columns = [Column("area_code", f"{level}编码", TEXT), Column("area_name", level, TEXT)]
    columns += [Column(r, f"{r}\n{names.get(r, '')}", INTEGER, group=("不符合规则的记录数",)) for r in rules]
    columns.append(Column("total", "合计", INTEGER))
    rows = []
    for (code, name), values in wide.iterrows():
        row = {"area_code": code, "area_name": name, **{r: int(values.get(r, 0)) for r in rules}}
        row["total"] = sum(row[r] for r in rules)
        rows.append(row)
    totals = {r: int(report.by_rule.loc[report.by_rule["rule_id"] == r, "records"].sum()) for r in rules}
    totals["total"] = report.total
    return Statement(
        title="异常数据汇总表", columns=columns, rows=rows, sheet_name="异常数据汇总", filters=report.filters,
        totals=totals, label_columns=2, notes=NOTES,
        signatures={"填报单位": "", "制表人": "", "制表日期": ""},
    )


def write_anomaly_summary(report: AnomalyReport, path: str | Path) -> Path:
    return write_statement(anomaly_statement(report), path)


def write_anomaly_detail(detail: pd.DataFrame, path: str | Path, filters: dict[str, str]) -> Path:
    def rows():
        for record in detail.to_dict("records"):
            record["severity_zh"] = SEVERITY_LABELS.get(record["severity"], record["severity"])
            for key in ("recipient_id", "vaccination_id", "detected_at"):
                value = record.get(key)
                record[key] = None if value is None or pd.isna(value) else str(value)
            yield record

    return write_detail(rows(), DETAIL_COLUMNS, path, "异常数据明细", sheet_name="异常数据明细", filters=filters)
