"""留观率统计表 (DOMAIN.md §8.3): observation recorded and completed rates of vaccination visits.

A visit is recipient × unit × vaccination date (``marts.rpt_observation_detail``), over visits with the
vaccination date in [date_from, date_to], optionally only recipients in the given register groups
(current 在册情况). Recorded rate = visits with an observation record / visits; completed rate = visits
whose observation ended ≥ ``observation_minutes`` (dbt var, default 30) after the last dose, or with an
AEFI during observation / visits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from vaxdw.db import PgParams, connect
from vaxdw.reports.browse import (
    LEVEL_LABELS,
    REGISTER_GROUP_LABELS,
    check_period,
    period_label,
    region_clause,
    region_label,
    rows_and_totals,
)

DETAIL_TABLE = "marts.rpt_observation_detail"
COUNT_COLUMNS = ["visits", "recorded", "completed", "with_aefi"]
MEASURES = """
    count(*) as visits,
    count(*) filter (where is_observation_recorded) as recorded,
    count(*) filter (where is_observation_completed) as completed,
    count(*) filter (where has_aefi) as with_aefi
"""


@dataclass
class ObservationReport:
    filters: dict[str, str]
    rows: pd.DataFrame
    totals: dict[str, float | int]
    level: str
    date_from: date
    date_to: date


def _rates(frame: pd.DataFrame) -> pd.DataFrame:
    visits = frame["visits"].where(frame["visits"] > 0)
    frame["recorded_rate"] = (frame["recorded"] / visits).astype("Float64")
    frame["completed_rate"] = (frame["completed"] / visits).astype("Float64")
    return frame


def where_clause(region_code, date_from, date_to, register_groups) -> tuple[str, dict[str, object]]:
    where, query_params = region_clause(region_code)
    clauses = [where, "vaccination_date between %(date_from)s and %(date_to)s"]
    query_params.update(date_from=date_from, date_to=date_to)
    if register_groups:
        clauses.append("register_group = any(%(register_groups)s)")
        query_params["register_groups"] = list(register_groups)
    return " and ".join(clauses), query_params


def query_observation(
    params: PgParams,
    level: str,
    region_code: str | None,
    date_from: date,
    date_to: date,
    register_groups: Sequence[str] | None = None,
) -> ObservationReport:
    check_period(date_from, date_to)
    where, query_params = where_clause(region_code, date_from, date_to, register_groups)
    rows, totals = rows_and_totals(params, DETAIL_TABLE, MEASURES, where, query_params, level, COUNT_COLUMNS,
                                   _rates)
    filters = {
        "浏览级别": LEVEL_LABELS[level],
        "统计范围": region_label(params, region_code),
        "接种日期": period_label(date_from, date_to),
        "在册情况": "、".join(REGISTER_GROUP_LABELS.get(g, g) for g in register_groups) if register_groups else "全部",
    }
    return ObservationReport(filters, rows, totals, level, date_from, date_to)


DETAIL_COLUMNS = [
    ("recipient_id", "受种者编号", "General"),
    ("unit_id", "接种单位编码", "@"),
    ("unit_name", "接种单位", "@"),
    ("vaccination_date", "接种日期", "yyyy-mm-dd"),
    ("doses", "剂次数", "#,##0"),
    ("last_vaccinated_at", "末剂接种时间", "yyyy-mm-dd hh:mm:ss"),
    ("obs_start_at", "留观开始", "yyyy-mm-dd hh:mm:ss"),
    ("obs_end_at", "留观结束", "yyyy-mm-dd hh:mm:ss"),
    ("minutes_after_last_dose", "末剂后分钟", "0.00"),
    ("has_aefi", "留观期间AEFI", "General"),
    ("is_observation_recorded", "有留观记录", "General"),
    ("is_observation_completed", "留观达标", "General"),
]


def detail_rows(params, region_code, date_from, date_to, register_groups=None):
    """The visits behind the report, streamed with a server-side cursor (tuples in DETAIL_COLUMNS order)."""
    where, query_params = where_clause(region_code, date_from, date_to, register_groups)
    sql = (f"select {', '.join(k for k, _l, _f in DETAIL_COLUMNS)} from {DETAIL_TABLE} where {where} "
           "order by vaccination_date, unit_id, recipient_id")
    with connect(params) as conn, conn.cursor(name="observation_detail") as cursor:
        cursor.execute(sql, query_params)
        yield from cursor
