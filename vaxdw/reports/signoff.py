"""签核率统计 (DOMAIN.md §8.4): registration sign-off per visit and vaccination sign-off per dose.

Over visits / doses with the vaccination date in [date_from, date_to], grouped by a browse level or by
staff (registrar for registration sign-offs, vaccinator for vaccination sign-offs):
- registration: visits, signed (not after the first dose, same day), late, unsigned, rate = signed / visits;
- vaccination: doses, signed (within ``signoff_window_hours`` (dbt var, default 2) of the dose, same day,
  not before the registration signature), late, out of order, unsigned, rate = signed / doses.
Late and out-of-order signatures are counted separately and are not in the numerators.
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

VISIT_TABLE = "marts.rpt_signoff_visit_detail"
DOSE_TABLE = "marts.rpt_signoff_dose_detail"
REG_COLUMNS = ["visits", "reg_signed", "reg_late", "reg_unsigned"]
VACC_COLUMNS = ["doses", "vacc_signed", "vacc_late", "vacc_out_of_order", "vacc_unsigned"]
REG_MEASURES = """count(*) as visits,
    count(*) filter (where reg_sign_status = 'signed') as reg_signed,
    count(*) filter (where reg_sign_status = 'late') as reg_late,
    count(*) filter (where reg_sign_status = 'unsigned') as reg_unsigned"""
VACC_MEASURES = """count(*) as doses,
    count(*) filter (where vacc_sign_status = 'signed') as vacc_signed,
    count(*) filter (where vacc_sign_status = 'late') as vacc_late,
    count(*) filter (where vacc_sign_status = 'out_of_order') as vacc_out_of_order,
    count(*) filter (where vacc_sign_status = 'unsigned') as vacc_unsigned"""
GROUPINGS = ("region", "staff")


@dataclass
class SignoffReport:
    filters: dict[str, str]
    registration: pd.DataFrame  # group_code, group_name, visits, reg_signed, reg_late, reg_unsigned, reg_rate
    vaccination: pd.DataFrame  # group_code, group_name, doses, vacc_*, vacc_rate
    totals: dict[str, float | int | None]
    level: str
    group_by: str


def _frame(records, columns, numerator, denominator, rate) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=["group_code", "group_name", *columns])
    for column in columns:
        frame[column] = frame[column].astype("int64")
    frame[rate] = (frame[numerator] / frame[denominator].where(frame[denominator] > 0)).astype("Float64")
    return frame


def query_signoff(
    params: PgParams,
    level: str,
    region_code: str | None,
    date_from: date,
    date_to: date,
    group_by: str = "region",
) -> SignoffReport:
    check_period(date_from, date_to)
    if group_by not in GROUPINGS:
        raise ValueError(f"分组方式无效：{group_by}（可选 region 按地区, staff 按人员）")
    code_column, name_column = level_columns(level)
    where, query_params = region_clause(region_code)
    where += " and vaccination_date between %(date_from)s and %(date_to)s"
    query_params.update(date_from=date_from, date_to=date_to)
    if group_by == "staff":
        reg_group = ("registrar_id::text", "registrar_name")
        vacc_group = ("vaccinator_id::text", "vaccinator_name")
    else:
        reg_group = vacc_group = (code_column, name_column)
    with connect(params) as conn:
        reg = conn.execute(
            f"select {reg_group[0]}, max({reg_group[1]}), {REG_MEASURES} from {VISIT_TABLE} where {where} "
            f"group by {reg_group[0]} order by {reg_group[0]} nulls last", query_params).fetchall()
        vacc = conn.execute(
            f"select {vacc_group[0]}, max({vacc_group[1]}), {VACC_MEASURES} from {DOSE_TABLE} where {where} "
            f"group by {vacc_group[0]} order by {vacc_group[0]} nulls last", query_params).fetchall()
        reg_total = conn.execute(f"select {REG_MEASURES} from {VISIT_TABLE} where {where}", query_params).fetchone()
        vacc_total = conn.execute(f"select {VACC_MEASURES} from {DOSE_TABLE} where {where}", query_params).fetchone()
    totals: dict[str, float | int | None] = dict(zip(REG_COLUMNS, map(int, reg_total), strict=True))
    totals.update(zip(VACC_COLUMNS, map(int, vacc_total), strict=True))
    totals["reg_rate"] = totals["reg_signed"] / totals["visits"] if totals["visits"] else None
    totals["vacc_rate"] = totals["vacc_signed"] / totals["doses"] if totals["doses"] else None
    filters = {
        "浏览级别": LEVEL_LABELS[level],
        "统计范围": region_label(params, region_code),
        "接种日期": period_label(date_from, date_to),
        "分组": "按人员（登记人员/接种医生）" if group_by == "staff" else "按地区",
    }
    return SignoffReport(
        filters,
        _frame(reg, REG_COLUMNS, "reg_signed", "visits", "reg_rate"),
        _frame(vacc, VACC_COLUMNS, "vacc_signed", "doses", "vacc_rate"),
        totals,
        level,
        group_by,
    )


DETAIL_COLUMNS = [
    ("vaccination_id", "接种记录编号", "General"),
    ("recipient_id", "受种者编号", "General"),
    ("unit_id", "接种单位编码", "@"),
    ("unit_name", "接种单位", "@"),
    ("vaccination_date", "接种日期", "yyyy-mm-dd"),
    ("vaccinated_at", "接种时间", "yyyy-mm-dd hh:mm:ss"),
    ("vaccine_name", "疫苗", "@"),
    ("vaccinator_name", "接种医生", "@"),
    ("reg_signed_at", "登记签字时间", "yyyy-mm-dd hh:mm:ss"),
    ("vacc_signed_at", "接种签字时间", "yyyy-mm-dd hh:mm:ss"),
    ("vacc_sign_status", "接种签核状态", "@"),
]


def detail_rows(params, region_code, date_from, date_to):
    """The doses behind the report, streamed with a server-side cursor (tuples in DETAIL_COLUMNS order)."""
    where, query_params = region_clause(region_code)
    query_params.update(date_from=date_from, date_to=date_to)
    sql = (f"select {', '.join(k for k, _l, _f in DETAIL_COLUMNS)} from {DOSE_TABLE} where {where} "
           "and vaccination_date between %(date_from)s and %(date_to)s order by vaccination_id")
    with connect(params) as conn, conn.cursor(name="signoff_detail") as cursor:
        cursor.execute(sql, query_params)
        yield from cursor
