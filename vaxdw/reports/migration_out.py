"""省内迁出报表 (DOMAIN.md §8.8): migration requests by the from-unit's (or to-unit's) region.

For the period [date_from, date_to]:
- initiated: initiated_date in the period;
- accepted / rejected: decided_date in the period; withdrawn: withdrawn_date in the period;
- pending: initiated on or before date_to and neither decided nor withdrawn by the end of date_to;
- overdue pending: pending and initiated more than ``overdue_days`` (default 7) days before the end of date_to;
- median days to accept: median of (decided_at − initiated_at) in days over the accepted in the period.
SQL over ``marts.rpt_migration_detail``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from vaxdw.db import PgParams, connect
from vaxdw.reports.browse import (
    LEVEL_LABELS,
    check_period,
    level_columns,
    period_label,
    region_clause,
    region_label,
)

DETAIL_TABLE = "marts.rpt_migration_detail"
DEFAULT_OVERDUE_DAYS = 7
SIDES = {"from": ("from_", "迁出单位"), "to": ("to_", "迁入单位")}
COUNT_COLUMNS = ["initiated", "pending", "overdue_pending", "accepted", "rejected", "withdrawn"]
ROW_COLUMNS = ["region_code", "region_name", *COUNT_COLUMNS, "median_days_to_accept"]


@dataclass
class MigrationReport:
    filters: dict[str, str]
    rows: pd.DataFrame
    totals: dict[str, float | int | None]
    level: str
    date_from: date
    date_to: date


def _measures(date_to_param: str = "date_to") -> str:
    end = f"(%({date_to_param})s::date + 1)"
    pending = (
        f"initiated_at < {end} and (decided_at is null or decided_at >= {end}) "
        f"and (withdrawn_at is null or withdrawn_at >= {end})"
    )
    return f"""
        count(*) filter (where initiated_date between %(date_from)s and %(date_to)s) as initiated,
        count(*) filter (where {pending}) as pending,
        count(*) filter (where {pending} and initiated_at < {end} - %(overdue_days)s::integer) as overdue_pending,
        count(*) filter (where migration_status = 'accepted' and decided_date between %(date_from)s and %(date_to)s)
            as accepted,
        count(*) filter (where migration_status = 'rejected' and decided_date between %(date_from)s and %(date_to)s)
            as rejected,
        count(*) filter (where migration_status = 'withdrawn' and withdrawn_date between %(date_from)s and %(date_to)s)
            as withdrawn,
        round((percentile_cont(0.5) within group (order by days_to_accept) filter (
            where migration_status = 'accepted' and decided_date between %(date_from)s and %(date_to)s))::numeric, 2)
            as median_days_to_accept
    """


def query_migration_out(
    params: PgParams,
    level: str,
    region_code: str | None,
    date_from: date,
    date_to: date,
    side: str = "from",
    overdue_days: int = DEFAULT_OVERDUE_DAYS,
) -> MigrationReport:
    check_period(date_from, date_to)
    if side not in SIDES:
        raise ValueError(f"统计口径无效：{side}（可选 from 迁出单位, to 迁入单位）")
    if overdue_days < 0:
        raise ValueError("超时天数不能为负数")
    prefix, side_label = SIDES[side]
    code_column, name_column = level_columns(level, prefix)
    where, query_params = region_clause(region_code, prefix)
    query_params.update(date_from=date_from, date_to=date_to, overdue_days=overdue_days)
    rows_sql = f"""
        select {code_column} as region_code, max({name_column}) as region_name, {_measures()}
        from {DETAIL_TABLE}
        where {where}
        group by {code_column}
        order by {code_column}
    """
    totals_sql = f"select {_measures()} from {DETAIL_TABLE} where {where}"
    with connect(params) as conn:
        records = conn.execute(rows_sql, query_params).fetchall()
        total = conn.execute(totals_sql, query_params).fetchone()
    rows = pd.DataFrame(records, columns=ROW_COLUMNS)
    active = rows[COUNT_COLUMNS].sum(axis=1) > 0
    rows = rows[active].reset_index(drop=True)
    for column in COUNT_COLUMNS:
        rows[column] = rows[column].astype("int64")
    rows["median_days_to_accept"] = pd.to_numeric(rows["median_days_to_accept"]).astype("Float64")
    totals = dict(zip([*COUNT_COLUMNS, "median_days_to_accept"], total, strict=True))
    totals = {k: (None if v is None else float(v) if k == "median_days_to_accept" else int(v)) for k, v in totals.items()}
    filters = {
        "浏览级别": LEVEL_LABELS[level],
        "统计范围": region_label(params, region_code),
        "统计口径": side_label,
        "统计日期": period_label(date_from, date_to),
        "超时待接收": f"超过 {overdue_days} 天",
    }
    return MigrationReport(filters, rows, totals, level, date_from, date_to)


def detail_rows(params: PgParams, region_code: str | None, date_from: date, date_to: date, side: str = "from"):
    """Stream the requests behind the report (initiated, decided or withdrawn in the period, or pending at
    its end) with a server-side cursor: yields tuples in DETAIL_COLUMNS order."""
    prefix, _ = SIDES[side]
    where, query_params = region_clause(region_code, prefix)
    query_params.update(date_from=date_from, date_to=date_to)
    sql = f"""
        select {', '.join(key for key, _label, _fmt in DETAIL_COLUMNS)}
        from {DETAIL_TABLE}
        where {where} and (
            initiated_date between %(date_from)s and %(date_to)s
            or decided_date between %(date_from)s and %(date_to)s
            or withdrawn_date between %(date_from)s and %(date_to)s
            or (initiated_date <= %(date_to)s and coalesce(decided_date, withdrawn_date, 'infinity') > %(date_to)s)
        )
        order by migration_id
    """
    with connect(params) as conn, conn.cursor(name="migration_detail") as cursor:
        cursor.execute(sql, query_params)
        yield from cursor


DETAIL_COLUMNS = [
    ("migration_id", "迁移编号", "General"),
    ("recipient_id", "受种者编号", "General"),
    ("recipient_name", "姓名", "@"),
    ("birth_date", "出生日期", "yyyy-mm-dd"),
    ("migration_status", "状态", "@"),
    ("initiated_at", "发起时间", "yyyy-mm-dd hh:mm:ss"),
    ("decided_at", "接收/拒绝时间", "yyyy-mm-dd hh:mm:ss"),
    ("withdrawn_at", "撤回时间", "yyyy-mm-dd hh:mm:ss"),
    ("days_to_accept", "接收用时(天)", "0.00"),
    ("from_unit_id", "迁出单位编码", "@"),
    ("from_unit_name", "迁出单位", "@"),
    ("to_unit_id", "迁入单位编码", "@"),
    ("to_unit_name", "迁入单位", "@"),
    ("reject_reason", "拒绝原因", "@"),
]
