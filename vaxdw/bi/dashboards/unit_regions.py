"""The unit's region columns every region-scoped dataset carries under the same names (``unit_*``), so
one cascading 市 → 县(区) → 乡镇(街道) → 接种单位 filter and one RLS rule shape serve every dashboard.

Marts that carry only a unit id get them from ``marts.dim_unit``; labels come from the dbt YAML of
``fct_vaccinations`` (which names the same columns).
"""

from __future__ import annotations

from vaxdw.bi.labels import column_labels

UNIT_REGION_SELECT = """u.township_code as unit_township_code,
    u.township_name as unit_township_name,
    u.county_code as unit_county_code,
    u.county_name as unit_county_name,
    u.city_code as unit_city_code,
    u.city_name as unit_city_name"""


def unit_join(unit_column: str) -> str:
    """``left join`` of ``marts.dim_unit as u`` on the row's unit."""
    return f"left join marts.dim_unit as u on u.unit_id = {unit_column}"


def region_labels() -> dict[str, str]:
    """Chinese labels of the ``unit_*`` region columns (and unit id / name)."""
    return {k: v for k, v in column_labels("fct_vaccinations").items() if k.startswith("unit_")}


def labels_with_regions(**extra: str) -> dict[str, str]:
    return {**region_labels(), **extra}
