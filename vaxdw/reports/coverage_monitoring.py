"""接种率监测 core indicators (DOMAIN §2.2, §6): monthly 应种 / 实种 coverage and dropout rates.

SQL over ``marts.rpt_coverage_monthly`` (per month × managing unit × scheduled dose: 应种 incl. the +1
cases, 实种, the +1/+1 count), summed over the months of ``[month_from, month_to]`` at a browse level of
the child's managing unit.

- 应种: in-register children under 7 whose dose fell due in the month, or fell due in the previous 11
  months and was not given before the month (from month 13 the child drops out of 应种); plus one for
  every dose given to a 临时 child, a child aged 7 or more, or a child who had dropped out (应种 +1,
  实种 +1). dbt vars ``due_carry_months`` (12) and ``due_max_age_years`` (7).
- 实种: those doses given in the month. Coverage = 实种 / 应种; over several months the sums give the
  cumulative coverage (累计接种率).
- Dropout (WHO/DHIS2): (first-dose 实种 − later-dose 实种) / first-dose 实种 over the same period and
  region, for DTaP1→DTaP3 and MMR1→MMR2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from vaxdw.db import PgParams
from vaxdw.reports.common import (
    LEVEL_LABELS,
    MANAGING_UNIT_COLUMNS,
    as_int,
    check_level,
    check_range,
    frame,
    rate,
    region_label,
    region_name_sql,
    region_scope,
)

MART = "marts.rpt_coverage_monthly"
DROPOUTS = (("dtap", "04", 1, 3, "百白破第1剂→第3剂"), ("mmr", "12", 1, 2, "麻腮风第1剂→第2剂"))


@dataclass
class CoverageMonitoringReport:
    filters: dict[str, str]
    rows: pd.DataFrame  # region x dose over the period: due, given, plus_one, coverage
    monthly: pd.DataFrame  # month x region x dose
    dropout: pd.DataFrame  # region: dtap_first, dtap_last, dtap_dropout, mmr_first, mmr_last, mmr_dropout
    totals: pd.DataFrame  # per dose over the whole report
    level: str = "city"


def month_start(day: date) -> date:
    return day.replace(day=1)


def query_coverage_monitoring(
    params: PgParams,
    level: str,
    month_from: date,
    month_to: date,
    region_code: str | None = None,
    category_codes: Sequence[str] | None = None,
) -> CoverageMonitoringReport:
    check_level(level)
    month_from, month_to = month_start(month_from), month_start(month_to)
    check_range("统计月份", month_from, month_to)
    query_params: dict[str, object] = {"month_from": month_from, "month_to": month_to}
    clauses = ["month_start between %(month_from)s and %(month_to)s"]
    scope = region_scope(MANAGING_UNIT_COLUMNS, region_code, query_params)
    if scope:
        clauses.append(scope)
    if category_codes:
        clauses.append("category_code = any(%(category_codes)s)")
        query_params["category_codes"] = list(category_codes)
    where = " and ".join(clauses)
    code = MANAGING_UNIT_COLUMNS[level]
    monthly = frame(params, f"""
        select month_start, {code} as region_code, category_code, max(category_name) as category_name, dose_no,
            sum(due) as due, sum(given) as given, sum(plus_one) as plus_one
        from {MART}
        where {where}
        group by month_start, {code}, category_code, dose_no
        order by month_start, {code}, category_code, dose_no
    """, query_params)
    monthly = as_int(monthly, ["dose_no", "due", "given", "plus_one"])
    rows = frame(params, f"""
        select grouped.*, {region_name_sql(level, 'grouped.region_code')} as region_name
        from (
            select {code} as region_code, category_code, max(category_name) as category_name, dose_no,
                sum(due) as due, sum(given) as given, sum(plus_one) as plus_one
            from {MART}
            where {where}
            group by {code}, category_code, dose_no
        ) as grouped
        order by grouped.region_code, grouped.category_code, grouped.dose_no
    """, query_params)
    rows = as_int(rows, ["dose_no", "due", "given", "plus_one"])
    rows["coverage"] = [rate(a, b) for a, b in zip(rows["given"], rows["due"], strict=True)]
    totals = rows.groupby(["category_code", "category_name", "dose_no"], as_index=False)[
        ["due", "given", "plus_one"]].sum()
    totals["coverage"] = [rate(a, b) for a, b in zip(totals["given"], totals["due"], strict=True)]
    dropout = _dropout(rows)
    filters = {
        "统计层级": LEVEL_LABELS[level],
        "统计范围": region_label(params, region_code),
        "统计月份": f"{month_from:%Y-%m} 至 {month_to:%Y-%m}",
        "疫苗": "、".join(category_codes) if category_codes else "全部国家免疫规划疫苗",
    }
    return CoverageMonitoringReport(filters=filters, rows=rows, monthly=monthly, dropout=dropout, totals=totals,
                                    level=level)


def _dropout(rows: pd.DataFrame) -> pd.DataFrame:
    regions = rows[["region_code", "region_name"]].drop_duplicates().set_index("region_code")
    out = regions.copy()
    for name, category, first, last, _label in DROPOUTS:
        given = rows[rows["category_code"] == category].set_index(["region_code", "dose_no"])["given"]
        out[f"{name}_first"] = [int(given.get((code, first), 0)) for code in out.index]
        out[f"{name}_last"] = [int(given.get((code, last), 0)) for code in out.index]
        out[f"{name}_dropout"] = [
            rate(a - b, a) for a, b in zip(out[f"{name}_first"], out[f"{name}_last"], strict=True)]
    return out.reset_index()


def dropout_totals(report: CoverageMonitoringReport) -> dict[str, object]:
    totals: dict[str, object] = {}
    for name, *_ in DROPOUTS:
        first = int(report.dropout[f"{name}_first"].sum())
        last = int(report.dropout[f"{name}_last"].sum())
        totals.update({f"{name}_first": first, f"{name}_last": last, f"{name}_dropout": rate(first - last, first)})
    return totals
