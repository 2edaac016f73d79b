"""What the report queries share: browse levels, region scope, region names, filter labels.

Every report groups rows at a browse level (浏览级别) by a set of region-code columns of its mart (the
vaccinating unit's place, or the managing unit's, depending on the report), keeps an optional region
scope (a province, city, county or township code, or a unit id), and labels its filters in Chinese for
the statement header. Only whitelisted column names reach the SQL text; user values are parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import pandas as pd

from vaxdw.db import PgParams, connect

LEVELS = ("province", "city", "county", "township", "unit")
LEVEL_LABELS = {"province": "省", "city": "市", "county": "县(区)", "township": "乡镇(街道)", "unit": "接种单位"}
REGISTER_GROUP_LABELS = {"in_register": "在册", "off_register": "离册", "temporary": "临时", "deleted": "删除"}

# level -> column holding that level's code, for marts keyed by the managing unit
MANAGING_UNIT_COLUMNS = {
    "province": "province_code",
    "city": "city_code",
    "county": "county_code",
    "township": "township_code",
    "unit": "managing_unit_id",
}
# ... and for marts keyed by the vaccinating unit (fct_vaccinations' naming)
VACCINATING_UNIT_COLUMNS = {
    "province": "unit_province_code",
    "city": "unit_city_code",
    "county": "unit_county_code",
    "township": "unit_township_code",
    "unit": "unit_id",
}


def check_level(level: str, allowed: Sequence[str] = LEVELS) -> None:
    if level not in allowed:
        raise ValueError(f"统计层级无效：{level}（可选 {', '.join(allowed)}）")


def check_range(label: str, start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise ValueError(f"{label}：开始日期 {start} 晚于结束日期 {end}")


def region_scope(columns: Mapping[str, str], region_code: str | None, params: dict[str, object]) -> str | None:
    """SQL condition keeping rows whose code at any level equals ``region_code`` (None: no scope)."""
    if not region_code:
        return None
    params["region_code"] = region_code
    return "%(region_code)s in (" + ", ".join(columns[level] for level in LEVELS if level in columns) + ")"


def date_range(column: str, name: str, start: date | None, end: date | None, params: dict[str, object]) -> list[str]:
    clauses = []
    if start is not None:
        clauses.append(f"{column} >= %({name}_from)s")
        params[f"{name}_from"] = start
    if end is not None:
        clauses.append(f"{column} <= %({name}_to)s")
        params[f"{name}_to"] = end
    return clauses


def region_name_sql(level: str, code_expr: str) -> str:
    """A scalar subquery naming the region (or unit) whose code is ``code_expr``."""
    if level == "unit":
        return f"(select unit_name from marts.dim_unit where unit_id = {code_expr})"
    return f"(select region_name from marts.dim_region where region_code = {code_expr})"


def region_label(params: PgParams, region_code: str | None) -> str:
    if not region_code:
        return "全省"
    with connect(params) as conn:
        row = conn.execute(
            "select region_name from marts.dim_region where region_code = %s "
            "union all select unit_name from marts.dim_unit where unit_id = %s limit 1",
            (region_code, region_code),
        ).fetchone()
    return f"{row[0]}（{region_code}）" if row else region_code


def period_label(start: date | None, end: date | None) -> str:
    if start is None and end is None:
        return "不限"
    return f"{start:%Y-%m-%d} 至 {end:%Y-%m-%d}" if start and end else (
        f"{start:%Y-%m-%d} 起" if start else f"至 {end:%Y-%m-%d}")


def frame(params: PgParams, sql: str, query_params: Mapping[str, object]) -> pd.DataFrame:
    with connect(params) as conn:
        cursor = conn.execute(sql, query_params)
        return pd.DataFrame(cursor.fetchall(), columns=[d.name for d in cursor.description])


def as_int(frame_: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    for column in columns:
        frame_[column] = pd.to_numeric(frame_[column]).fillna(0).astype("int64")
    return frame_


def rate(numerator: float, denominator: float) -> float | None:
    return None if not denominator else numerator / denominator
