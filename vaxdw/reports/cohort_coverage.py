"""乡镇出生队列接种率 with township merges (DOMAIN §8.6).

Inputs: a birth cohort (birth-date range), the evaluation date T, the doses to show, the township basis
(现住址 residence or 户籍 household township of the child), and optionally historical boundaries (map
codes to those valid on another date D instead of T).

- Township: the child's recorded code resolved through ``marts.dim_township_code_history`` to the code in
  force on T (or D): follow old → new for every change effective on or before that date. A split goes to
  the first successor and is flagged in the history.
- Denominator: children born in the cohort, 在册 as of T and with the record created on or before T. The
  status as of T comes from the register-change history (``marts.fct_register_changes``: the latest change
  before T + 1 day); a child without a change row by T keeps its current status. Children whose current
  status is 5 (删除) are excluded everywhere.
- Numerator per dose (category, k): the child's k-th dose in the category (by date) is valid (minimum age
  and interval) and given on or before T, by any unit. Timely: also before the completion age (§1.2).
- merged_code_count: how many other codes were merged into the township(s) of the row, for transparency.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from vaxdw.db import PgParams, connect
from vaxdw.reports.common import LEVEL_LABELS, as_int, check_level, check_range, frame, rate, region_label

LEVELS = ("province", "city", "county", "township")
LEVEL_COLUMNS = {"province": "province_code", "city": "city_code", "county": "county_code",
                 "township": "township_code"}
BASES = {"residence": "residence_township_code", "household": "household_township_code"}
BASIS_LABELS = {"residence": "现住址乡镇", "household": "户籍地乡镇"}
DEFAULT_DOSES: tuple[tuple[str, int], ...] = (
    ("01", 1), ("02", 1), ("02", 3), ("03", 3), ("04", 3), ("12", 1), ("12", 2),
)


@dataclass
class CohortCoverageReport:
    filters: dict[str, str]
    regions: pd.DataFrame  # region_code, region_name, children, merged_code_count
    rows: pd.DataFrame  # region_code, category_code, category_name, dose_no, children, vaccinated, timely...
    totals: pd.DataFrame  # per dose over the whole report
    total_children: int
    doses: list[tuple[str, int, str]] = field(default_factory=list)  # (category, dose_no, label)
    level: str = "township"


def _cohort_sql(level: str, basis: str, region_code: str | None) -> str:
    scope = ""
    if region_code:
        scope = ("and %(region_code)s in (placed_all.province_code, placed_all.city_code, "
                 "placed_all.county_code, placed_all.township_code)")
    return f"""
        with resolved as (
            select distinct on (township_code) township_code, resolved_code
            from marts.dim_township_code_history
            where reached_on is null or reached_on <= %(boundary_date)s
            order by township_code, step_no desc
        ),
        status_as_of as (
            select distinct on (recipient_id) recipient_id, new_register_group as register_group
            from marts.fct_register_changes
            where changed_at < %(as_of)s::date + 1
            order by recipient_id, changed_at desc, change_id desc
        ),
        cohort as (
            select
                recipients.recipient_id,
                coalesce(resolved.resolved_code, recipients.{BASES[basis]}) as township_code
            from marts.dim_recipients as recipients
            left join resolved on recipients.{BASES[basis]} = resolved.township_code
            left join status_as_of on recipients.recipient_id = status_as_of.recipient_id
            where recipients.birth_date between %(birth_from)s and %(birth_to)s
                and recipients.birth_date <= %(as_of)s
                and coalesce(status_as_of.register_group, recipients.register_group) = 'in_register'
                and recipients.created_at::date <= %(as_of)s
        ),
        placed_all as (
            select
                cohort.recipient_id,
                cohort.township_code,
                regions.county_code,
                regions.city_code,
                regions.province_code
            from cohort
            left join marts.dim_region as regions on cohort.township_code = regions.region_code
        ),
        -- materialized: the cohort's row estimate is far too low (dim_recipients is a view over several
        -- joins), and inlined, the planner would join the township resolution and the regions to every
        -- scheduled dose by nested loops; computed once, the doses are read by the index on recipient_id
        placed as materialized (
            select placed_all.*, placed_all.{LEVEL_COLUMNS[level]} as region_code
            from placed_all
            where true {scope}
        )
    """


def query_cohort_coverage(
    params: PgParams,
    birth_from: date,
    birth_to: date,
    as_of: date,
    level: str = "township",
    region_code: str | None = None,
    basis: str = "residence",
    boundary_date: date | None = None,
    doses: Sequence[tuple[str, int]] = DEFAULT_DOSES,
) -> CohortCoverageReport:
    check_level(level, LEVELS)
    check_range("出生日期", birth_from, birth_to)
    if basis not in BASES:
        raise ValueError(f"乡镇口径无效：{basis}（可选 {', '.join(BASES)}）")
    keys = [f"{category}-{dose_no}" for category, dose_no in doses]
    query_params: dict[str, object] = {
        "birth_from": birth_from, "birth_to": birth_to, "as_of": as_of,
        "boundary_date": boundary_date or as_of, "region_code": region_code, "dose_keys": keys,
    }
    base = _cohort_sql(level, basis, region_code)
    regions = frame(params, base + f"""
        , merged as (
            select resolved_code, count(*) filter (where township_code <> resolved_code) as merged_code_count
            from resolved
            group by resolved_code
        ),
        merged_by_region as (
            select regions.{LEVEL_COLUMNS[level]} as region_code, sum(merged.merged_code_count) as merged_code_count
            from merged
            inner join marts.dim_region as regions on merged.resolved_code = regions.region_code
            group by regions.{LEVEL_COLUMNS[level]}
        )
        select
            counts.region_code,
            coalesce(
                (select region_name from marts.dim_region where region_code = counts.region_code),
                counts.region_code
            ) as region_name,
            counts.children,
            coalesce(merged_by_region.merged_code_count, 0) as merged_code_count
        from (select region_code, count(*) as children from placed group by region_code) as counts
        left join merged_by_region on counts.region_code = merged_by_region.region_code
        order by counts.region_code
    """, query_params)
    regions = as_int(regions, ["children", "merged_code_count"])
    rows = frame(params, base + """
        select
            placed.region_code,
            doses.category_code,
            max(doses.category_name) as category_name,
            doses.dose_no,
            count(*) filter (where doses.is_valid_dose and doses.vaccination_date <= %(as_of)s) as vaccinated,
            count(*) filter (where doses.is_timely and doses.vaccination_date <= %(as_of)s) as timely
        from placed
        inner join marts.fct_child_scheduled_doses as doses on placed.recipient_id = doses.recipient_id
        where doses.category_code || '-' || doses.dose_no = any(%(dose_keys)s)
        group by placed.region_code, doses.category_code, doses.dose_no
        order by placed.region_code, doses.category_code, doses.dose_no
    """, query_params)
    rows = as_int(rows, ["vaccinated", "timely"])
    rows = rows.merge(regions[["region_code", "children"]], on="region_code", how="left")
    rows["coverage"] = [rate(a, b) for a, b in zip(rows["vaccinated"], rows["children"], strict=True)]
    rows["timely_coverage"] = [rate(a, b) for a, b in zip(rows["timely"], rows["children"], strict=True)]
    total_children = int(regions["children"].sum())
    totals = rows.groupby(["category_code", "dose_no"], as_index=False)[["vaccinated", "timely"]].sum()
    totals["coverage"] = [rate(a, total_children) for a in totals["vaccinated"]]
    totals["timely_coverage"] = [rate(a, total_children) for a in totals["timely"]]
    with connect(params) as conn:
        names = dict(conn.execute(
            "select distinct category_code, category_name from seeds.ref_schedule_dose").fetchall())
    dose_labels = [(c, k, f"{names.get(c, c)}第{k}剂") for c, k in doses]
    filters = {
        "统计层级": LEVEL_LABELS[level],
        "统计范围": region_label(params, region_code),
        "出生日期": f"{birth_from:%Y-%m-%d} 至 {birth_to:%Y-%m-%d}",
        "评价日期": f"{as_of:%Y-%m-%d}",
        "乡镇口径": BASIS_LABELS[basis],
        "乡镇区划": f"{(boundary_date or as_of):%Y-%m-%d} 时点区划" + ("（历史区划）" if boundary_date else ""),
        "在册情况": "评价日期时在册（在册情况变更历史）",
    }
    return CohortCoverageReport(filters=filters, regions=regions, rows=rows, totals=totals,
                                total_children=total_children, doses=dose_labels, level=level)


def iter_detail(params: PgParams, birth_from: date, birth_to: date, as_of: date, region_code: str | None = None,
                basis: str = "residence", boundary_date: date | None = None,
                doses: Sequence[tuple[str, int]] = DEFAULT_DOSES) -> Iterator[tuple]:
    """The children behind the report, one row per child x dose (server-side cursor)."""
    query_params = {"birth_from": birth_from, "birth_to": birth_to, "as_of": as_of,
                    "boundary_date": boundary_date or as_of, "region_code": region_code,
                    "dose_keys": [f"{c}-{k}" for c, k in doses]}
    sql = _cohort_sql("township", basis, region_code) + """
        select placed.recipient_id, recipients.recipient_name, recipients.birth_date, placed.township_code,
            doses.category_name, doses.dose_no, doses.vaccination_date,
            doses.is_valid_dose and doses.vaccination_date <= %(as_of)s as is_vaccinated,
            doses.is_timely and doses.vaccination_date <= %(as_of)s as is_timely
        from placed
        inner join marts.dim_recipients as recipients on placed.recipient_id = recipients.recipient_id
        inner join marts.fct_child_scheduled_doses as doses on placed.recipient_id = doses.recipient_id
        where doses.category_code || '-' || doses.dose_no = any(%(dose_keys)s)
        order by placed.township_code, placed.recipient_id, doses.category_code, doses.dose_no
    """
    with connect(params) as conn, conn.cursor(name="cohort_coverage_detail") as cursor:
        cursor.itersize = 5000
        cursor.execute(sql, query_params)
        yield from cursor
