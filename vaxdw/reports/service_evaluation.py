"""门诊服务评价统计: evaluations by unit (or a browse level) for evaluation dates in [date_from, date_to].

Columns: evaluations (all), active evaluations (主动评价), active ratings 5…1, mean active rating, and
invalid ratings (outside 1–5, a data fault; not counted in the ratings or the mean).
SQL over ``marts.rpt_service_evaluation_detail``.
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

DETAIL_TABLE = "marts.rpt_service_evaluation_detail"
COUNT_COLUMNS = ["evaluations", "active", "rating_5", "rating_4", "rating_3", "rating_2", "rating_1", "invalid"]
MEASURES = """count(*) as evaluations,
    count(*) filter (where is_active) as active,
    count(*) filter (where is_active and rating = 5) as rating_5,
    count(*) filter (where is_active and rating = 4) as rating_4,
    count(*) filter (where is_active and rating = 3) as rating_3,
    count(*) filter (where is_active and rating = 2) as rating_2,
    count(*) filter (where is_active and rating = 1) as rating_1,
    count(*) filter (where not is_rating_valid) as invalid,
    round(avg(rating) filter (where is_active and is_rating_valid), 2) as mean_rating"""


@dataclass
class ServiceEvaluationReport:
    filters: dict[str, str]
    rows: pd.DataFrame
    totals: dict[str, float | int | None]
    level: str


def query_service_evaluation(
    params: PgParams, level: str, region_code: str | None, date_from: date, date_to: date
) -> ServiceEvaluationReport:
    check_period(date_from, date_to)
    code_column, name_column = level_columns(level)
    where, query_params = region_clause(region_code)
    where += " and evaluation_date between %(date_from)s and %(date_to)s"
    query_params.update(date_from=date_from, date_to=date_to)
    with connect(params) as conn:
        records = conn.execute(
            f"select {code_column}, max({name_column}), {MEASURES} from {DETAIL_TABLE} where {where} "
            f"group by {code_column} order by {code_column}", query_params).fetchall()
        total = conn.execute(f"select {MEASURES} from {DETAIL_TABLE} where {where}", query_params).fetchone()
    rows = pd.DataFrame(records, columns=["region_code", "region_name", *COUNT_COLUMNS, "mean_rating"])
    for column in COUNT_COLUMNS:
        rows[column] = rows[column].astype("int64")
    rows["mean_rating"] = pd.to_numeric(rows["mean_rating"]).astype("Float64")
    totals = {k: int(v) for k, v in zip(COUNT_COLUMNS, total[:-1], strict=True)}
    totals["mean_rating"] = None if total[-1] is None else float(total[-1])
    filters = {
        "浏览级别": LEVEL_LABELS[level],
        "统计范围": region_label(params, region_code),
        "评价日期": period_label(date_from, date_to),
    }
    return ServiceEvaluationReport(filters, rows, totals, level)
