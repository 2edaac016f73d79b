"""异常数据报表 (anomaly report) queries over ``marts.rpt_dq_anomaly``.

- :func:`query_anomaly_summary`: counts of non-conforming records by area at a browse level
  (province, city, county, township, unit) × rule, optionally within a region, for one rule or
  one severity.
- :func:`query_anomaly_detail`: the records themselves (drill-down), with the same filters plus a
  unit. User values go in as query parameters; only whitelisted column names enter the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from vaxdw.db import PgParams, connect

VIEW = "marts.rpt_dq_anomaly"
LEVEL_COLUMNS: dict[str, tuple[str, str]] = {
    "province": ("province_code", "province_name"),
    "city": ("city_code", "city_name"),
    "county": ("county_code", "county_name"),
    "township": ("township_code", "township_name"),
    "unit": ("unit_id", "unit_name"),
}
LEVEL_LABELS = {"province": "省", "city": "市", "county": "县(区)", "township": "乡镇(街道)", "unit": "接种单位"}
SEVERITY_LABELS = {"error": "错误（阻断上传）", "warn": "警告"}
DETAIL_COLUMNS = [
    "rule_id", "rule_name_zh", "severity", "table_name", "row_key", "recipient_id", "vaccination_id", "value",
    "message_zh", "unit_id", "unit_name", "township_name", "county_name", "city_name", "detected_at",
]  # fmt: skip


@dataclass
class AnomalyReport:
    level: str
    filters: dict[str, str]
    rows: pd.DataFrame  # area_code, area_name, rule_id, rule_name_zh, severity, records
    by_rule: pd.DataFrame = field(default_factory=pd.DataFrame)  # rule totals

    @property
    def total(self) -> int:
        return int(self.rows["records"].sum()) if len(self.rows) else 0


def _where(region_code: str | None, rule_id: str | None, severity: str | None, unit_id: str | None = None):
    clauses, params = ["true"], {}
    if region_code:
        clauses.append("%(region)s in (province_code, city_code, county_code, township_code)")
        params["region"] = region_code
    if rule_id:
        clauses.append("rule_id = %(rule)s")
        params["rule"] = rule_id
    if severity:
        if severity not in SEVERITY_LABELS:
            raise ValueError(f"severity must be one of {sorted(SEVERITY_LABELS)}")
        clauses.append("severity = %(severity)s")
        params["severity"] = severity
    if unit_id:
        clauses.append("unit_id = %(unit)s")
        params["unit"] = unit_id
    return " and ".join(clauses), params


def _filters(level: str | None, region_name: str | None, rule_id, severity, unit_id=None) -> dict[str, str]:
    out = {}
    if level:
        out["汇总级别"] = LEVEL_LABELS[level]
    out["地区"] = region_name or "全省"
    if rule_id:
        out["规则"] = rule_id
    if severity:
        out["严重程度"] = SEVERITY_LABELS[severity]
    if unit_id:
        out["单位"] = unit_id
    return out


def _region_name(conn, region_code: str | None) -> str | None:
    if not region_code:
        return None
    row = conn.execute("select region_name from marts.dim_region where region_code = %s", (region_code,)).fetchone()
    if row is None:
        raise ValueError(f"未知的区划代码 {region_code}")
    return row[0]


def query_anomaly_summary(
    warehouse: PgParams, level: str = "county", region_code: str | None = None, rule_id: str | None = None,
    severity: str | None = None,
) -> AnomalyReport:
    if level not in LEVEL_COLUMNS:
        raise ValueError(f"level must be one of {list(LEVEL_COLUMNS)}")
    code_col, name_col = LEVEL_COLUMNS[level]
    where, params = _where(region_code, rule_id, severity)
    sql = f"""
        select coalesce({code_col}, '') as area_code, coalesce({name_col}, '（未知单位）') as area_name,
            rule_id, rule_name_zh, severity, count(*)::bigint as records
        from {VIEW} where {where}
        group by 1, 2, 3, 4, 5 order by 1, 3
    """
    with connect(warehouse) as conn:
        region_name = _region_name(conn, region_code)
        rows = pd.DataFrame(conn.execute(sql, params).fetchall(),
                            columns=["area_code", "area_name", "rule_id", "rule_name_zh", "severity", "records"])
    by_rule = (rows.groupby(["rule_id", "rule_name_zh", "severity"], as_index=False)["records"].sum()
               if len(rows) else rows.copy())
    return AnomalyReport(level, _filters(level, region_name, rule_id, severity), rows, by_rule)


def query_anomaly_detail(
    warehouse: PgParams, region_code: str | None = None, rule_id: str | None = None, severity: str | None = None,
    unit_id: str | None = None, limit: int | None = None,
) -> pd.DataFrame:
    where, params = _where(region_code, rule_id, severity, unit_id)
    sql = f"select {', '.join(DETAIL_COLUMNS)} from {VIEW} where {where} order by rule_id, unit_id, row_key"
    if limit:
        sql += f" limit {int(limit)}"
    with connect(warehouse) as conn:
        frame = pd.DataFrame(conn.execute(sql, params).fetchall(), columns=DETAIL_COLUMNS)
    # nullable ids (null for anomalies of other tables): integers, not floats (受种者编号 374, not 374.0)
    return frame.astype({"recipient_id": "Int64", "vaccination_id": "Int64"})


def detail_filters(warehouse: PgParams, region_code=None, rule_id=None, severity=None, unit_id=None) -> dict:
    with connect(warehouse) as conn:
        return _filters(None, _region_name(conn, region_code), rule_id, severity, unit_id)
