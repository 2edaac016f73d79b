"""产科 statements: HBsAg 阳性母亲所生儿童乙肝接种率 (DOMAIN.md §8.5) and 产科未种原因."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exporters.event_statements import records, region_columns, signatures
from exporters.statement import INTEGER, RATE, Column, Statement, write_statement

HBSAG_TITLE = "产科HBsAg阳性母亲所生儿童乙肝疫苗接种率统计表"
HBSAG_NOTES = (
    "注：1. 队列为出生日期在统计期内、母亲HBsAg阳性（产科记录优先，其次接种档案）的儿童，按现管理单位统计；"
    "不详者另列；死亡及删除档案不计。",
    "2. 首针及时率＝出生后12（24）小时内接种乙肝疫苗第1剂人数／队列人数；HBIG同。",
    "3. 全程接种率＝有效乙肝疫苗剂次达3剂（出生体重<2000克为4剂）人数／满7月龄（4剂者满8月龄）人数；"
    "全程及时＝末剂在12月龄前完成。",
)
REASON_TITLE = "产科新生儿未种原因统计表"


def build_hbsag_statement(report: Any) -> Statement:
    columns = [*region_columns(report.level), Column("cohort_size", "队列人数", INTEGER)]
    for key, label in (("hepb1_12h", "首针≤12小时"), ("hepb1_24h", "首针≤24小时"), ("hbig_12h", "HBIG≤12小时"),
                       ("both_12h", "首针及HBIG均≤12小时")):
        columns += [Column(key, "人数", INTEGER, group=(label,)), Column(f"{key}_rate", "率", RATE, group=(label,))]
    columns.append(Column("full_course_eligible", "满评价月龄人数", INTEGER))
    for key, label in (("full_course", "全程接种"), ("full_course_timely", "全程及时接种")):
        columns += [Column(key, "人数", INTEGER, group=(label,)), Column(f"{key}_rate", "率", RATE, group=(label,))]
    keys = [column.key for column in columns]
    return Statement(
        title=HBSAG_TITLE, subtitle="单位：人", columns=columns, rows=records(report.rows, keys),
        sheet_name="HBsAg阳性母亲所生儿童", filters=dict(report.filters), totals=dict(report.totals),
        label_columns=2, signatures=signatures(), notes=HBSAG_NOTES,
    )


def write_hbsag_newborn(report: Any, path: str | Path) -> Path:
    return write_statement(build_hbsag_statement(report), path)


def build_reason_statement(report: Any, reasons: dict[str, str]) -> Statement:
    columns = [*region_columns(report.level)]
    columns += [Column(f"reason_{code}", name, INTEGER, group=("未种原因",)) for code, name in reasons.items()]
    columns.append(Column("total", "合计", INTEGER))
    keys = [column.key for column in columns]
    return Statement(
        title=REASON_TITLE, subtitle="单位：剂次", columns=columns, rows=records(report.rows, keys),
        sheet_name="未种原因", filters=dict(report.filters), totals=dict(report.totals), label_columns=2,
        signatures=signatures(), notes=("注：按出生医院产科所在地区统计出生时未接种乙肝疫苗第1剂或卡介苗的剂次及登记的未种原因。",),
    )


def write_unvaccinated(report: Any, reasons: dict[str, str], path: str | Path) -> Path:
    return write_statement(build_reason_statement(report, reasons), path)
