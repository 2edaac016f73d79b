"""IPV补种剂次统计表 (DOMAIN §8.7): children needing catch-up IPV, doses given, completion.

SQL over ``marts.rpt_ipv_catchup_detail`` (one row per eligible child: in register, born in a campaign's
birth window; campaign per the managing unit's city from seed ``ref_ipv_campaign``) grouped at a browse
level of the child's managing unit. Filters: region scope, campaigns, birth-date range.

Completion rate = children who received all the doses they needed / children needing ≥ 1 dose.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from vaxdw.db import PgParams, connect
from vaxdw.reports.common import (
    LEVEL_LABELS,
    MANAGING_UNIT_COLUMNS,
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

DETAIL = "marts.rpt_ipv_catchup_detail"
COUNTS = ["eligible", "need_2", "need_1", "need_0", "needing", "dose1_given", "dose2_given", "completed",
          "needing_in_schedule"]
DETAIL_COLUMNS = [
    "recipient_id", "recipient_name", "birth_date", "managing_unit_id", "managing_unit_name", "campaign_id",
    "campaign_start_date", "trivalent_doses_before", "doses_needed", "catchup1_date", "catchup1_vaccine_code",
    "catchup1_is_interval_valid", "catchup2_date", "catchup2_vaccine_code", "catchup2_is_interval_valid",
    "is_completed", "counts_in_schedule",
]


@dataclass
class IpvCatchupReport:
    filters: dict[str, str]
    rows: pd.DataFrame
    totals: dict[str, object]
    level: str = "county"


def _where(region_code, campaign_ids, birth_from, birth_to) -> tuple[str, dict[str, object]]:
    params: dict[str, object] = {}
    clauses = date_range("birth_date", "birth", birth_from, birth_to, params)
    scope = region_scope(MANAGING_UNIT_COLUMNS, region_code, params)
    if scope:
        clauses.append(scope)
    if campaign_ids:
        clauses.append("campaign_id = any(%(campaign_ids)s)")
        params["campaign_ids"] = list(campaign_ids)
    return " and ".join(clauses) or "true", params


def query_ipv_catchup(
    params: PgParams,
    level: str,
    region_code: str | None = None,
    campaign_ids: Sequence[str] | None = None,
    birth_from: date | None = None,
    birth_to: date | None = None,
) -> IpvCatchupReport:
    check_level(level)
    check_range("出生日期", birth_from, birth_to)
    where, query_params = _where(region_code, campaign_ids, birth_from, birth_to)
    code = MANAGING_UNIT_COLUMNS[level]
    rows = frame(params, f"""
        select grouped.*, {region_name_sql(level, 'grouped.region_code')} as region_name
        from (
            select
                {code} as region_code,
                count(*) as eligible,
                count(*) filter (where doses_needed = 2) as need_2,
                count(*) filter (where doses_needed = 1) as need_1,
                count(*) filter (where doses_needed = 0) as need_0,
                count(*) filter (where doses_needed > 0) as needing,
                count(catchup1_vaccination_id) as dose1_given,
                count(catchup2_vaccination_id) as dose2_given,
                count(*) filter (where is_completed) as completed,
                count(*) filter (where doses_needed > 0 and counts_in_schedule) as needing_in_schedule
            from {DETAIL}
            where {where}
            group by {code}
        ) as grouped
        order by grouped.region_code
    """, query_params)
    rows = as_int(rows, COUNTS)
    rows["completion_rate"] = [rate(a, b) for a, b in zip(rows["completed"], rows["needing"], strict=True)]
    totals: dict[str, object] = {key: int(rows[key].sum()) for key in COUNTS}
    totals["completion_rate"] = rate(totals["completed"], totals["needing"])
    with connect(params) as conn:
        campaigns = conn.execute(
            "select campaign_id, phase, start_date, end_date from seeds.ref_ipv_campaign "
            "where %(ids)s::text[] is null or campaign_id = any(%(ids)s) order by campaign_id",
            {"ids": list(campaign_ids) if campaign_ids else None},
        ).fetchall()
    filters = {
        "统计层级": LEVEL_LABELS[level],
        "统计范围": region_label(params, region_code),
        "补种活动": "；".join(f"{phase}（{start:%Y-%m-%d}至{end:%Y-%m-%d}）" for _, phase, start, end in campaigns)
        or "无",
        "出生日期": period_label(birth_from, birth_to),
    }
    return IpvCatchupReport(filters=filters, rows=rows, totals=totals, level=level)


def iter_detail(params: PgParams, region_code: str | None = None, campaign_ids=None, birth_from=None,
                birth_to=None) -> Iterator[tuple]:
    """The children behind a report (server-side cursor), for a streamed 明细 export."""
    where, query_params = _where(region_code, campaign_ids, birth_from, birth_to)
    with connect(params) as conn, conn.cursor(name="ipv_catchup_detail") as cursor:
        cursor.itersize = 5000
        cursor.execute(f"select {', '.join(DETAIL_COLUMNS)} from {DETAIL} where {where} order by recipient_id",
                       query_params)
        yield from cursor
