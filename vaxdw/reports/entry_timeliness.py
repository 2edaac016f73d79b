"""实种及时统计表 (DOMAIN §8.1): how soon doses are entered (and uploaded) after vaccination.

SQL over ``marts.rpt_entry_timeliness_detail`` grouped at a browse level of the vaccinating unit.
Filters: region scope, vaccination-date, birth-date and entry-date ranges, vaccines, register groups.

- Denominator (统计记录数): dose records that are neither back-entered (补录: entered more than dbt var
  ``back_entry_days`` after vaccination) nor entered before the vaccination time; both are counted
  separately.
- Buckets (mutually exclusive, add up to the denominator): 当天, 阈值内(非当天), 7天内, 超过7天.
- 及时录入: entry within dbt var ``entry_timely_hours`` (default 24 h) of the vaccination time (date rule
  when the vaccination has no time part). 及时上传: upload within ``upload_timely_hours`` of entry.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from vaxdw.db import PgParams, connect
from vaxdw.reports.common import (
    LEVEL_LABELS,
    REGISTER_GROUP_LABELS,
    VACCINATING_UNIT_COLUMNS,
    as_int,
    check_level,
    check_range,
    date_range,
    frame,
    period_label,
    rate,
    region_label,
    region_name_sql,
    region_scope,
)

DETAIL = "marts.rpt_entry_timeliness_detail"
COUNTS = [
    "records", "back_entered", "entry_before_vaccination", "counted", "same_day", "within_threshold",
    "within_7d", "over_7d", "entry_timely", "uploaded", "upload_timely",
]
DETAIL_COLUMNS = [
    "vaccination_id", "recipient_id", "vaccine_code", "vaccine_name", "dose_no", "vaccinated_at", "entered_at",
    "uploaded_at", "unit_id", "unit_name", "entry_delay_minutes", "entry_bucket", "is_entry_timely",
    "is_upload_timely", "is_back_entered",
]


@dataclass
class EntryTimelinessReport:
    filters: dict[str, str]
    rows: pd.DataFrame
    totals: dict[str, object]
    level: str = "county"
    thresholds: dict[str, int] = field(default_factory=dict)


def _where(
    region_code: str | None,
    vaccination_from: date | None,
    vaccination_to: date | None,
    birth_from: date | None,
    birth_to: date | None,
    entry_from: date | None,
    entry_to: date | None,
    vaccine_codes: Sequence[str] | None,
    register_groups: Sequence[str] | None,
) -> tuple[str, dict[str, object]]:
    params: dict[str, object] = {}
    clauses = [
        *date_range("vaccination_date", "vaccination", vaccination_from, vaccination_to, params),
        *date_range("birth_date", "birth", birth_from, birth_to, params),
        *date_range("entry_date", "entry", entry_from, entry_to, params),
    ]
    scope = region_scope(VACCINATING_UNIT_COLUMNS, region_code, params)
    if scope:
        clauses.append(scope)
    if vaccine_codes:
        clauses.append("vaccine_code = any(%(vaccine_codes)s)")
        params["vaccine_codes"] = list(vaccine_codes)
    if register_groups:
        clauses.append("register_group = any(%(register_groups)s)")
        params["register_groups"] = list(register_groups)
    return " and ".join(clauses) or "true", params


def thresholds(params: PgParams) -> dict[str, int]:
    """The thresholds the marts were built with (dbt vars, stored on rpt_entry_timeliness)."""
    with connect(params) as conn:
        row = conn.execute(
            "select max(entry_timely_hours), max(upload_timely_hours), max(back_entry_days) "
            "from marts.rpt_entry_timeliness"
        ).fetchone()
    keys = ("entry_timely_hours", "upload_timely_hours", "back_entry_days")
    return {key: int(value) for key, value in zip(keys, row, strict=True) if value is not None}


def query_entry_timeliness(
    params: PgParams,
    level: str,
    region_code: str | None = None,
    vaccination_from: date | None = None,
    vaccination_to: date | None = None,
    birth_from: date | None = None,
    birth_to: date | None = None,
    entry_from: date | None = None,
    entry_to: date | None = None,
    vaccine_codes: Sequence[str] | None = None,
    register_groups: Sequence[str] | None = None,
) -> EntryTimelinessReport:
    check_level(level)
    check_range("接种日期", vaccination_from, vaccination_to)
    check_range("出生日期", birth_from, birth_to)
    check_range("录入日期", entry_from, entry_to)
    where, query_params = _where(region_code, vaccination_from, vaccination_to, birth_from, birth_to,
                                 entry_from, entry_to, vaccine_codes, register_groups)
    code = VACCINATING_UNIT_COLUMNS[level]
    measures = """
            count(*) as records,
            count(*) filter (where is_back_entered) as back_entered,
            count(*) filter (where is_entry_before_vaccination) as entry_before_vaccination,
            count(*) filter (where is_counted) as counted,
            count(*) filter (where entry_bucket = 'same_day') as same_day,
            count(*) filter (where entry_bucket = 'within_threshold') as within_threshold,
            count(*) filter (where entry_bucket = 'within_7d') as within_7d,
            count(*) filter (where entry_bucket = 'over_7d') as over_7d,
            count(*) filter (where is_entry_timely) as entry_timely,
            count(*) filter (where is_counted and is_uploaded) as uploaded,
            count(*) filter (where is_counted and is_upload_timely) as upload_timely"""
    rows = frame(params, f"""
        select grouped.*, {region_name_sql(level, 'grouped.region_code')} as region_name
        from (
            select {code} as region_code, {measures}
            from {DETAIL}
            where {where}
            group by {code}
        ) as grouped
        order by grouped.region_code
    """, query_params)
    rows = as_int(rows, COUNTS)
    rows["entry_timely_rate"] = [rate(a, b) for a, b in zip(rows["entry_timely"], rows["counted"], strict=True)]
    rows["upload_timely_rate"] = [rate(a, b) for a, b in zip(rows["upload_timely"], rows["counted"], strict=True)]
    totals: dict[str, object] = {key: int(rows[key].sum()) for key in COUNTS}
    totals["entry_timely_rate"] = rate(totals["entry_timely"], totals["counted"])
    totals["upload_timely_rate"] = rate(totals["upload_timely"], totals["counted"])
    limits = thresholds(params)
    filters = {
        "统计层级": LEVEL_LABELS[level],
        "统计范围": region_label(params, region_code),
        "接种日期": period_label(vaccination_from, vaccination_to),
        "出生日期": period_label(birth_from, birth_to),
        "录入日期": period_label(entry_from, entry_to),
        "疫苗": "、".join(vaccine_codes) if vaccine_codes else "全部",
        "在册情况": "、".join(REGISTER_GROUP_LABELS.get(g, g) for g in register_groups) if register_groups else "全部",
        "及时录入标准": f"{limits.get('entry_timely_hours', 24)}小时内",
    }
    return EntryTimelinessReport(filters=filters, rows=rows, totals=totals, level=level, thresholds=limits)


def iter_detail(params: PgParams, level: str, region_code: str | None = None, **filters) -> Iterator[tuple]:
    """The dose records behind a report (server-side cursor), for a streamed 明细 export."""
    check_level(level)
    where, query_params = _where(region_code, filters.get("vaccination_from"), filters.get("vaccination_to"),
                                 filters.get("birth_from"), filters.get("birth_to"), filters.get("entry_from"),
                                 filters.get("entry_to"), filters.get("vaccine_codes"),
                                 filters.get("register_groups"))
    with connect(params) as conn, conn.cursor(name="entry_timeliness_detail") as cursor:
        cursor.itersize = 5000
        cursor.execute(f"select {', '.join(DETAIL_COLUMNS)} from {DETAIL} where {where} order by vaccination_id",
                       query_params)
        yield from cursor
