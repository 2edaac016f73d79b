"""乡镇出生队列接种率 statement (DOMAIN §8.6): one row per township (or higher level), per dose the
number vaccinated, coverage and timely coverage; the cohort size is the shared denominator."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from exporters.statement import DATE, INTEGER, RATE, TEXT, Column, Statement, write_detail, write_statement
from vaxdw import clock

TITLE = "乡镇出生队列接种率统计表"


def _key(category: str, dose_no: int, measure: str) -> str:
    return f"{category}_{dose_no}_{measure}"


def build_statement(report: Any, prepared_on: date | None = None) -> Statement:
    columns = [
        Column("region_code", "地区编码", TEXT),
        Column("region_name", "地区"),
        Column("merged_code_count", "并入原乡镇代码数", INTEGER),
        Column("children", "出生队列在册人数", INTEGER),
    ]
    for category, dose_no, label in report.doses:
        columns += [
            Column(_key(category, dose_no, "vaccinated"), "接种人数", INTEGER, group=(label,)),
            Column(_key(category, dose_no, "coverage"), "接种率", RATE, group=(label,)),
            Column(_key(category, dose_no, "timely_coverage"), "及时接种率", RATE, group=(label,)),
        ]
    by_region = {code: {} for code in report.regions["region_code"]}
    for record in report.rows.to_dict("records"):
        cell = by_region.setdefault(record["region_code"], {})
        for measure in ("vaccinated", "coverage", "timely_coverage"):
            cell[_key(record["category_code"], int(record["dose_no"]), measure)] = record[measure]
    rows = []
    for record in report.regions.to_dict("records"):
        row = {key: record[key] for key in ("region_code", "region_name", "merged_code_count", "children")}
        row.update(by_region.get(record["region_code"], {}))
        for category, dose_no, _ in report.doses:
            row.setdefault(_key(category, dose_no, "vaccinated"), 0)
        rows.append(row)
    totals: dict[str, Any] = {"children": report.total_children,
                              "merged_code_count": int(report.regions["merged_code_count"].sum())}
    for record in report.totals.to_dict("records"):
        for measure in ("vaccinated", "coverage", "timely_coverage"):
            totals[_key(record["category_code"], int(record["dose_no"]), measure)] = record[measure]
    notes = [
        "注：1. 分母：出生日期在统计范围内、评价日期时在册且评价日期前已建档的儿童；乡镇按所选口径的乡镇代码，"
        "经乡镇合并（撤并、更名、拆分）沿革对应到所选时点的区划代码。",
        "2. 接种人数：评价日期前（含）该疫苗第k剂（按接种时间排序）为合格接种（达到最小月龄和最小间隔）的人数，不限接种单位。",
        "3. 及时接种率：合格且在完成月龄前接种的人数 / 分母。",
        "4. 并入原乡镇代码数：合并进该乡镇（或地区内各乡镇）的其他原乡镇代码个数。",
    ]
    return Statement(
        title=TITLE, subtitle="单位：人", columns=columns, rows=rows, sheet_name="出生队列接种率",
        filters=dict(report.filters), totals=totals, label_columns=2,
        signatures={"填报单位": "", "制表人": "", "制表日期": (prepared_on or clock.today()).isoformat()},
        notes=notes,
    )


def write_cohort_coverage(report: Any, path: str | Path, prepared_on: date | None = None) -> Path:
    return write_statement(build_statement(report, prepared_on), path)


DETAIL_COLUMNS = [
    ("recipient_id", "受种者编号", TEXT),
    ("recipient_name", "姓名", TEXT),
    ("birth_date", "出生日期", DATE),
    ("township_code", "乡镇代码", TEXT),
    ("category_name", "疫苗", TEXT),
    ("dose_no", "剂次", INTEGER),
    ("vaccination_date", "接种日期", DATE),
    ("is_vaccinated", "合格接种", "General"),
    ("is_timely", "及时接种", "General"),
]


def write_cohort_coverage_detail(rows, path: str | Path, filters: dict[str, str]) -> Path:
    return write_detail(rows, DETAIL_COLUMNS, path, f"{TITLE}明细", filters=filters)
