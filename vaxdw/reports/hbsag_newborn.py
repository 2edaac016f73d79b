"""产科 HBsAg 阳性母亲所生儿童乙肝接种率 (DOMAIN.md §8.5).

Cohort: children born in [date_from, date_to] whose mother is HBsAg positive (obstetric newborn record
first, then the clinic card) — ``cohort="positive"``; or of unknown status (不详 or not recorded) —
``cohort="unknown"``, reported separately. Died (在册情况 4) and deleted records excluded. Attributed to the
current managing clinic (clinic view) and browsed at province / city / county / township / unit level;
filters: region, age groups, register groups. Measures (numerator / cohort size): HepB1 ≤12 h, ≤24 h, HBIG
≤12 h, both ≤12 h; full course (3 valid HepB doses, 4 under 2000 g) and full course timely (last required
dose before 12 months of age) over children old enough (≥7 months, ≥8 for 4 doses) at the evaluation date.
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

DETAIL_TABLE = "marts.rpt_hbsag_newborn_detail"
COHORT_LABELS = {"positive": "HBsAg阳性", "unknown": "HBsAg不详"}
AGE_GROUP_LABELS = {"m00_06": "0–6月龄", "m07_11": "7–11月龄", "y1": "1岁", "y2": "2岁", "y3plus": "3岁及以上"}
COUNT_COLUMNS = ["cohort_size", "hepb1_12h", "hepb1_24h", "hbig_12h", "both_12h", "full_course_eligible",
                 "full_course", "full_course_timely"]
RATES = {"hepb1_12h": "cohort_size", "hepb1_24h": "cohort_size", "hbig_12h": "cohort_size",
         "both_12h": "cohort_size", "full_course": "full_course_eligible", "full_course_timely": "full_course_eligible"}
MEASURES = """
    count(*) as cohort_size,
    count(*) filter (where is_hepb1_12h) as hepb1_12h,
    count(*) filter (where is_hepb1_24h) as hepb1_24h,
    count(*) filter (where is_hbig_12h) as hbig_12h,
    count(*) filter (where is_both_12h) as both_12h,
    count(*) filter (where is_full_course_eligible) as full_course_eligible,
    count(*) filter (where is_full_course) as full_course,
    count(*) filter (where is_full_course_timely) as full_course_timely
"""


@dataclass
class HbsagNewbornReport:
    filters: dict[str, str]
    rows: pd.DataFrame
    totals: dict[str, float | int | None]
    level: str
    cohort: str


def _rates(frame: pd.DataFrame) -> pd.DataFrame:
    for numerator, denominator in RATES.items():
        base = frame[denominator].where(frame[denominator] > 0)
        frame[f"{numerator}_rate"] = (frame[numerator] / base).astype("Float64")
    return frame


def where_clause(region_code, date_from, date_to, cohort, age_groups=None, register_groups=None):
    if cohort not in COHORT_LABELS:
        raise ValueError(f"队列无效：{cohort}（可选 positive 阳性, unknown 不详）")
    where, query_params = region_clause(region_code)
    clauses = [where, "birth_date between %(date_from)s and %(date_to)s", "hbsag_cohort = %(cohort)s"]
    query_params.update(date_from=date_from, date_to=date_to, cohort=cohort)
    if age_groups:
        unknown = set(age_groups) - set(AGE_GROUP_LABELS)
        if unknown:
            raise ValueError(f"年龄组无效：{'、'.join(sorted(unknown))}（可选 {', '.join(AGE_GROUP_LABELS)}）")
        clauses.append("age_group = any(%(age_groups)s)")
        query_params["age_groups"] = list(age_groups)
    if register_groups:
        clauses.append("register_group = any(%(register_groups)s)")
        query_params["register_groups"] = list(register_groups)
    return " and ".join(clauses), query_params


def query_hbsag_newborn(
    params: PgParams,
    level: str,
    region_code: str | None,
    date_from: date,
    date_to: date,
    cohort: str = "positive",
    age_groups: Sequence[str] | None = None,
    register_groups: Sequence[str] | None = None,
) -> HbsagNewbornReport:
    check_period(date_from, date_to)
    where, query_params = where_clause(region_code, date_from, date_to, cohort, age_groups, register_groups)
    rows, totals = rows_and_totals(params, DETAIL_TABLE, MEASURES, where, query_params, level, COUNT_COLUMNS,
                                   _rates)
    filters = {
        "浏览级别": LEVEL_LABELS[level],
        "统计范围": region_label(params, region_code),
        "出生日期": period_label(date_from, date_to),
        "母亲HBsAg": COHORT_LABELS[cohort],
        "年龄组": "、".join(AGE_GROUP_LABELS[g] for g in age_groups) if age_groups else "全部",
        "在册情况": "、".join(REGISTER_GROUP_LABELS.get(g, g) for g in register_groups) if register_groups else "全部",
    }
    return HbsagNewbornReport(filters, rows, totals, level, cohort)


DETAIL_COLUMNS = [
    ("recipient_id", "受种者编号", "General"),
    ("recipient_name", "姓名", "@"),
    ("birth_at", "出生时间", "yyyy-mm-dd hh:mm"),
    ("birth_weight", "出生体重(克)", "0"),
    ("mother_name", "母亲姓名", "@"),
    ("mother_hbsag", "母亲HBsAg", "@"),
    ("hbsag_source", "HBsAg来源", "@"),
    ("unit_id", "管理单位编码", "@"),
    ("unit_name", "管理单位", "@"),
    ("obstetric_unit_name", "出生医院产科", "@"),
    ("age_months", "月龄", "0"),
    ("register_group", "在册情况", "@"),
    ("hepb1_at", "乙肝第1剂时间", "yyyy-mm-dd hh:mm"),
    ("hepb1_hours", "出生后小时", "0.00"),
    ("hbig_at", "HBIG时间", "yyyy-mm-dd hh:mm"),
    ("hbig_hours", "出生后小时(HBIG)", "0.00"),
    ("hepb_valid_doses", "乙肝有效剂次", "0"),
    ("required_doses", "全程应种剂次", "0"),
    ("is_full_course", "全程接种", "General"),
    ("is_full_course_timely", "全程及时", "General"),
]


def detail_rows(params, region_code, date_from, date_to, cohort="positive", age_groups=None, register_groups=None):
    """The children behind the report, streamed with a server-side cursor (tuples in DETAIL_COLUMNS order)."""
    where, query_params = where_clause(region_code, date_from, date_to, cohort, age_groups, register_groups)
    sql = (f"select {', '.join(k for k, _l, _f in DETAIL_COLUMNS)} from {DETAIL_TABLE} where {where} "
           "order by unit_id, birth_date, recipient_id")
    with connect(params) as conn, conn.cursor(name="hbsag_newborn_detail") as cursor:
        cursor.execute(sql, query_params)
        yield from cursor
