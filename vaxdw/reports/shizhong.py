"""实种情况统计表 (DOMAIN.md §8.2): doses and persons by region, vaccine, dose number and manufacturer.

SQL over ``marts.fct_vaccinations`` (the same rows as dbt's ``rpt_shizhong``), grouped at a browse
level. User values always go in as query parameters; only whitelisted column names are put into the
SQL text.

- ``level``: the level rows are grouped at (province, city, county, township, unit), by the
  vaccination unit's place.
- ``region_code``: optional scope; keeps doses whose unit lies in that region (a province, city,
  county or township code) or is that unit.
- Dates: vaccination date in ``[date_from, date_to]``, both inclusive.
- Doses are counted (not persons); persons are distinct recipients. ``total_persons`` is the
  distinct count over the whole report, not a sum of rows.
- HBIG (39xx) and other non-vaccine products keep ``is_non_vaccine_product = True`` and sort last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from vaxdw.db import PgParams, connect

FACT_TABLE = "marts.fct_vaccinations"

# level -> (code column, name column) in marts.fct_vaccinations
LEVEL_COLUMNS: dict[str, tuple[str, str]] = {
    "province": ("unit_province_code", "unit_province_name"),
    "city": ("unit_city_code", "unit_city_name"),
    "county": ("unit_county_code", "unit_county_name"),
    "township": ("unit_township_code", "unit_township_name"),
    "unit": ("unit_id", "unit_name"),
}
LEVEL_LABELS = {"province": "省", "city": "市", "county": "县(区)", "township": "乡镇(街道)", "unit": "接种单位"}
REGISTER_GROUP_LABELS = {"in_register": "在册", "off_register": "离册", "temporary": "临时", "deleted": "删除"}

ROW_COLUMNS = [
    "region_code",
    "region_name",
    "vaccine_code",
    "vaccine_name",
    "dose_no",
    "manufacturer_code",
    "manufacturer_name",
    "doses",
    "persons",
    "is_non_vaccine_product",
]


@dataclass
class ShizhongReport:
    """One 实种情况统计表: statement header filters, the rows and the totals."""

    filters: dict[str, str]
    rows: pd.DataFrame
    total_doses: int
    total_persons: int
    level: str = "county"
    date_from: date | None = None
    date_to: date | None = None
    # distinct persons per region_code x vaccine_code x manufacturer_code (persons are not additive
    # over dose numbers); exporters.shizhong.write_shizhong takes it as row_persons
    row_persons: pd.DataFrame = field(default_factory=pd.DataFrame)


def _where(
    region_code: str | None,
    date_from: date,
    date_to: date,
    vaccine_codes: Sequence[str] | None,
    register_groups: Sequence[str] | None,
    manufacturer_codes: Sequence[str] | None,
) -> tuple[str, dict[str, object]]:
    clauses = ["vaccination_date >= %(date_from)s", "vaccination_date <= %(date_to)s"]
    params: dict[str, object] = {"date_from": date_from, "date_to": date_to}
    if region_code:
        clauses.append(
            "%(region_code)s in (unit_province_code, unit_city_code, unit_county_code, "
            "unit_township_code, unit_id)"
        )
        params["region_code"] = region_code
    if vaccine_codes:
        clauses.append("vaccine_code = any(%(vaccine_codes)s)")
        params["vaccine_codes"] = list(vaccine_codes)
    if register_groups:
        clauses.append("register_group = any(%(register_groups)s)")
        params["register_groups"] = list(register_groups)
    if manufacturer_codes:
        clauses.append("manufacturer_code = any(%(manufacturer_codes)s)")
        params["manufacturer_codes"] = list(manufacturer_codes)
    return " and ".join(clauses), params


def _region_label(params: PgParams, region_code: str | None) -> str:
    if not region_code:
        return "全省"
    with connect(params) as conn:
        row = conn.execute(
            "select region_name from marts.dim_region where region_code = %s "
            "union all select unit_name from marts.dim_unit where unit_id = %s limit 1",
            (region_code, region_code),
        ).fetchone()
    return f"{row[0]}（{region_code}）" if row else region_code


def query_shizhong(
    params: PgParams,
    level: str,
    region_code: str | None,
    date_from: date,
    date_to: date,
    vaccine_codes: Sequence[str] | None = None,
    register_groups: Sequence[str] | None = None,
    manufacturer_codes: Sequence[str] | None = None,
) -> ShizhongReport:
    if level not in LEVEL_COLUMNS:
        raise ValueError(f"统计层级无效：{level}（可选 {', '.join(LEVEL_COLUMNS)}）")
    if date_from > date_to:
        raise ValueError(f"开始日期 {date_from} 晚于结束日期 {date_to}")
    code_column, name_column = LEVEL_COLUMNS[level]
    where, query_params = _where(region_code, date_from, date_to, vaccine_codes, register_groups, manufacturer_codes)
    rows_sql = f"""
        select
            {code_column} as region_code,
            max({name_column}) as region_name,
            vaccine_code,
            coalesce(max(vaccine_name), '未知疫苗编码 ' || vaccine_code) as vaccine_name,
            effective_dose_no as dose_no,
            manufacturer_code,
            max(manufacturer_name) as manufacturer_name,
            count(*) as doses,
            count(distinct recipient_id) as persons,
            bool_or(is_non_vaccine_product) as is_non_vaccine_product
        from {FACT_TABLE}
        where {where}
        group by {code_column}, vaccine_code, effective_dose_no, manufacturer_code
        order by bool_or(is_non_vaccine_product), {code_column}, vaccine_code, effective_dose_no,
            manufacturer_code
    """
    row_persons_sql = f"""
        select
            {code_column} as region_code,
            vaccine_code,
            manufacturer_code,
            count(distinct recipient_id) as persons
        from {FACT_TABLE}
        where {where}
        group by {code_column}, vaccine_code, manufacturer_code
    """
    totals_sql = f"""
        select count(*) as doses, count(distinct recipient_id) as persons
        from {FACT_TABLE}
        where {where}
    """
    with connect(params) as conn:
        cursor = conn.execute(rows_sql, query_params)
        records = cursor.fetchall()
        row_persons_records = conn.execute(row_persons_sql, query_params).fetchall()
        total_doses, total_persons = conn.execute(totals_sql, query_params).fetchone()
    rows = pd.DataFrame(records, columns=ROW_COLUMNS)
    rows["dose_no"] = rows["dose_no"].astype("Int64")
    rows["doses"] = rows["doses"].astype("int64")
    rows["persons"] = rows["persons"].astype("int64")
    rows["is_non_vaccine_product"] = rows["is_non_vaccine_product"].astype("boolean")
    row_persons = pd.DataFrame(
        row_persons_records, columns=["region_code", "vaccine_code", "manufacturer_code", "persons"]
    )
    row_persons["persons"] = row_persons["persons"].astype("int64")

    filters = {
        "统计层级": LEVEL_LABELS[level],
        "统计范围": _region_label(params, region_code),
        "接种日期": f"{date_from:%Y-%m-%d} 至 {date_to:%Y-%m-%d}",
        "疫苗": "、".join(vaccine_codes) if vaccine_codes else "全部",
        "在册情况": "、".join(REGISTER_GROUP_LABELS.get(g, g) for g in register_groups)
        if register_groups
        else "全部",
        "生产企业": "、".join(manufacturer_codes) if manufacturer_codes else "全部",
    }
    return ShizhongReport(
        filters=filters,
        rows=rows,
        total_doses=int(total_doses or 0),
        total_persons=int(total_persons or 0),
        level=level,
        date_from=date_from,
        date_to=date_to,
        row_persons=row_persons,
    )
