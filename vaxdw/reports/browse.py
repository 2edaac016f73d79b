"""Browse levels (浏览级别) and region scope shared by the event reports.

Marts carry a unit's place as ``unit_id``/``unit_name`` and ``unit_{township,county,city,province}_{code,name}``
(prefix ``unit_``), or as ``from_unit_id`` … ``from_county_code`` (prefix ``from_``/``to_``).
Only whitelisted column names go into SQL text; user values are query parameters.
"""

from __future__ import annotations

from datetime import date

from vaxdw.db import PgParams, connect

LEVELS = ("province", "city", "county", "township", "unit")
LEVEL_LABELS = {"province": "省", "city": "市", "county": "县(区)", "township": "乡镇(街道)", "unit": "接种单位"}
REGISTER_GROUP_LABELS = {"in_register": "在册", "off_register": "离册", "temporary": "临时", "deleted": "删除"}


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


def period_label(date_from: date, date_to: date) -> str:
    return f"{date_from:%Y-%m-%d} 至 {date_to:%Y-%m-%d}"
