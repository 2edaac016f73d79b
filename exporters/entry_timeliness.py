"""实种及时统计表 statement (DOMAIN §8.1): entry buckets, timely entry and upload by region.

Input is the report from vaxdw.reports.entry_timeliness (duck-typed: ``filters``, ``rows``, ``totals``,
``thresholds``). Every count is additive, so the 合计 row is the report's totals (sums), with the rates
recomputed from them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from exporters.statement import INTEGER, RATE, TEXT, Column, Statement, write_detail, write_statement
from vaxdw import clock

TITLE = "实种及时统计表"


def _columns(hours: int) -> list[Column]:
    bucket = ("录入时间分布",)
    timely = ("及时录入",)
    upload = ("上传及时性",)
    return [
        Column("region_code", "地区编码", TEXT),
        Column("region_name", "地区"),
        Column("records", "接种记录数", INTEGER),
        Column("back_entered", "补录记录数", INTEGER),
        Column("entry_before_vaccination", "录入早于接种", INTEGER),
        Column("counted", "统计记录数", INTEGER),
        Column("same_day", "当天", INTEGER, group=bucket),
        Column("within_threshold", f"{hours}小时内(非当天)", INTEGER, group=bucket),
        Column("within_7d", "7天内", INTEGER, group=bucket),
        Column("over_7d", "超过7天", INTEGER, group=bucket),
        Column("entry_timely", "及时录入数", INTEGER, group=timely),
        Column("entry_timely_rate", "及时录入率", RATE, group=timely),
        Column("uploaded", "已上传数", INTEGER, group=upload),
        Column("upload_timely", "及时上传数", INTEGER, group=upload),
        Column("upload_timely_rate", "及时上传率", RATE, group=upload),
    ]


def build_statement(report: Any, prepared_on: date | None = None) -> Statement:
    limits = getattr(report, "thresholds", {}) or {}
    hours = int(limits.get("entry_timely_hours", 24))
    upload_hours = int(limits.get("upload_timely_hours", 24))
    back_days = int(limits.get("back_entry_days", 30))
    columns = _columns(hours)
    rows = [{col.key: record.get(col.key) for col in columns} for record in report.rows.to_dict("records")]
    notes = [
        f"注：1. 及时录入：录入时间与接种时间相差不超过{hours}小时（接种时间无时分时，录入日期不晚于接种日期后"
        f"{-(-hours // 24)}天）；及时录入率 = 及时录入数 / 统计记录数。",
        f"2. 补录记录（录入时间晚于接种时间{back_days}天以上）和录入时间早于接种时间的记录不计入统计记录数，单独列出。",
        "3. 录入时间分布各列互斥，合计等于统计记录数。",
        f"4. 及时上传：上传时间与录入时间相差不超过{upload_hours}小时；未上传记录计为不及时。",
    ]
    return Statement(
        title=TITLE,
        subtitle="单位：剂次",
        columns=columns,
        rows=rows,
        sheet_name="实种及时统计",
        filters=dict(report.filters),
        totals=dict(report.totals),
        label_columns=2,
        signatures={"填报单位": "", "制表人": "", "制表日期": (prepared_on or clock.today()).isoformat()},
        notes=notes,
    )


def write_entry_timeliness(report: Any, path: str | Path, prepared_on: date | None = None) -> Path:
    return write_statement(build_statement(report, prepared_on), path)


DETAIL_COLUMNS = [
    ("vaccination_id", "接种记录编号", TEXT),
    ("recipient_id", "受种者编号", TEXT),
    ("vaccine_code", "疫苗编码", TEXT),
    ("vaccine_name", "疫苗名称", TEXT),
    ("dose_no", "剂次", INTEGER),
    ("vaccinated_at", "接种时间", "yyyy-mm-dd hh:mm:ss"),
    ("entered_at", "录入时间", "yyyy-mm-dd hh:mm:ss"),
    ("uploaded_at", "上传时间", "yyyy-mm-dd hh:mm:ss"),
    ("unit_id", "接种单位编码", TEXT),
    ("unit_name", "接种单位", TEXT),
    ("entry_delay_minutes", "录入延迟(分钟)", "0.0"),
    ("entry_bucket", "录入时段", TEXT),
    ("is_entry_timely", "及时录入", "General"),
    ("is_upload_timely", "及时上传", "General"),
    ("is_back_entered", "补录", "General"),
]


def write_entry_timeliness_detail(rows, path: str | Path, filters: dict[str, str]) -> Path:
    return write_detail(rows, DETAIL_COLUMNS, path, f"{TITLE}明细", filters=filters)
