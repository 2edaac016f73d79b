"""Browse levels (浏览级别) and region scope shared by the event reports.

Marts carry a unit's place as ``unit_id``/``unit_name`` and ``unit_{township,county,city,province}_{code,name}``
(prefix ``unit_``), or as ``from_unit_id`` … ``from_county_code`` (prefix ``from_``/``to_``).
Only whitelisted column names go into SQL text; user values are query parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd

from vaxdw.db import PgParams, connect

# The levels, their labels, region names and period labels are the ones every report shares.
from vaxdw.reports.common import (  # noqa: F401  (re-exported for the event reports)
    LEVEL_LABELS,
    LEVELS,
    REGISTER_GROUP_LABELS,
    period_label,
    region_label,
)


def level_columns(level: str, prefix: str = "unit_") -> tuple[str, str]:
    """(code column, name column) of ``level`` for marts whose region columns start with ``prefix``."""
    if level not in LEVELS:
        raise ValueError(f"浏览级别无效：{level}（可选 {', '.join(LEVELS)}）")
    if level == "unit":
        stem = "" if prefix == "unit_" else prefix
        return f"{stem}unit_id", f"{stem}unit_name"
    return f"{prefix}{level}_code", f"{prefix}{level}_name"


def region_clause(region_code: str | None, prefix: str = "unit_") -> tuple[str, dict[str, object]]:
    """SQL condition keeping rows whose unit lies in ``region_code`` (any level) or is that unit."""
    if not region_code:
        return "true", {}
    columns = [level_columns(level, prefix)[0] for level in LEVELS]
    return f"%(region_code)s in ({', '.join(columns)})", {"region_code": region_code}


def check_period(date_from: date, date_to: date) -> None:
    if date_from > date_to:
        raise ValueError(f"开始日期 {date_from} 晚于结束日期 {date_to}")


def rows_and_totals(params: PgParams, detail_table: str, measures: str, where: str,
                    query_params: dict[str, object], level: str, count_columns: list[str],
                    add_rates: Callable[[pd.DataFrame], pd.DataFrame]) -> tuple[pd.DataFrame, dict]:
    """One row per region at ``level`` plus the grand total, both from the same detail rows.

    ``measures`` is the SQL select list producing ``count_columns``; ``add_rates`` adds the rate columns
    (to the rows and to the total, so the total's rates are ratios of totals, never sums of rates).
    """
    code_column, name_column = level_columns(level)
    with connect(params) as conn:
        records = conn.execute(
            f"select {code_column} as region_code, max({name_column}) as region_name, {measures} "
            f"from {detail_table} where {where} group by {code_column} order by {code_column}",
            query_params,
        ).fetchall()
        total = conn.execute(f"select {measures} from {detail_table} where {where}", query_params).fetchone()
    rows = pd.DataFrame(records, columns=["region_code", "region_name", *count_columns])
    for column in count_columns:
        rows[column] = rows[column].astype("int64")
    totals_frame = add_rates(pd.DataFrame([total], columns=count_columns))
    totals = {k: (None if pd.isna(v) else float(v) if k.endswith("rate") else int(v))
              for k, v in totals_frame.iloc[0].items()}
    return add_rates(rows), totals
