"""产科: HBsAg 阳性(及不详)母亲所生儿童乙肝接种率 (rpt_hbsag_newborn, DOMAIN §8.5; managing clinic view),
产科查询 (rpt_obstetric_month: newborns born and recorded this month) and 未种原因
(rpt_obstetric_unvaccinated_detail). No vaccine column: vaccine-scoped accounts see no rows."""

from __future__ import annotations

from vaxdw.bi.dashboards.unit_regions import UNIT_REGION_SELECT, labels_with_regions, unit_join
from vaxdw.bi.specs import (
    UNIT_REGION_COLUMNS,
    Chart,
    Dashboard,
    Dataset,
    Metric,
    NativeFilter,
    ratio_of_sums,
    region_filters,
)

HBSAG = Dataset(
    name="hbsag_newborn",
    schema="marts",
    description="HBsAg阳性/不详母亲所生儿童乙肝接种 (现管理门诊 × 队列 × 出生月份 × 年龄组 × 在册情况)",
    sql=f"""select
    h.unit_id,
    h.hbsag_cohort,
    h.birth_month,
    h.age_group,
    h.register_group,
    h.cohort_size,
    h.hepb1_12h,
    h.hepb1_24h,
    h.hbig_12h,
    h.both_12h,
    h.full_course_eligible,
    h.full_course,
    h.full_course_timely,
    u.unit_name,
    {UNIT_REGION_SELECT}
from marts.rpt_hbsag_newborn as h
{unit_join("h.unit_id")}""",
    label_models=("rpt_hbsag_newborn",),
    labels=labels_with_regions(),
    metrics=(
        Metric("cohort_size", "sum(cohort_size)", "队列人数", ",d"),
        Metric("hepb1_12h_rate", ratio_of_sums("hepb1_12h", "cohort_size"), "乙肝首针12小时内及时接种率", ".1%"),
        Metric("hepb1_24h_rate", ratio_of_sums("hepb1_24h", "cohort_size"), "乙肝首针24小时内接种率", ".1%"),
        Metric("hbig_12h_rate", ratio_of_sums("hbig_12h", "cohort_size"), "HBIG 12小时内接种率", ".1%"),
        Metric("both_12h_rate", ratio_of_sums("both_12h", "cohort_size"), "乙肝首针与HBIG均12小时内接种率", ".1%"),
        Metric("full_course_rate", ratio_of_sums("full_course", "full_course_eligible"),
               "乙肝全程接种率", ".1%"),
        Metric("full_course_timely_rate",
               ratio_of_sums("full_course_timely", "full_course_eligible"),
               "乙肝全程及时接种率", ".1%"),
    ),
    time_column="birth_month",
    region_columns=UNIT_REGION_COLUMNS,
)

OBSTETRIC_MONTH = Dataset(
    name="obstetric_month",
    schema="marts",
    description="产科查询: 本月出生并登记的新生儿 (每名新生儿一行, 含已被门诊接收的), 地区为产科单位所在地",
    sql=f"""select
    o.newborn_id,
    o.unit_id,
    o.unit_name,
    {UNIT_REGION_SELECT},
    o.recipient_id,
    o.birth_date,
    o.birth_weight,
    o.mother_hbsag,
    o.hepb1_at,
    o.hbig_at,
    o.is_taken_over_by_clinic,
    o.managing_unit_id
from marts.rpt_obstetric_month as o
{unit_join("o.unit_id")}""",
    label_models=("rpt_obstetric_month",),
    labels=labels_with_regions(unit_id="产科单位编码", unit_name="产科单位"),
    metrics=(
        Metric("newborns", "count(*)", "新生儿数", ",d"),
        Metric("taken_over_rate", "avg(case when is_taken_over_by_clinic then 1.0 else 0.0 end)::float",
               "已被门诊接收比例", ".1%"),
    ),
    time_column="birth_date",
    region_columns=UNIT_REGION_COLUMNS,
)

UNVACCINATED = Dataset(
    name="obstetric_unvaccinated",
    schema="marts",
    description="产科未种原因 明细 (每名新生儿每个未种的出生剂次一行), 地区为产科单位所在地",
    # names of newborns and mothers and the mother's ID number stay in the mart (Excel statement only)
    sql="""select
    missed_key,
    newborn_id,
    unit_id,
    unit_name,
    unit_township_code,
    unit_township_name,
    unit_county_code,
    unit_county_name,
    unit_city_code,
    unit_city_name,
    recipient_id,
    birth_date,
    birth_weight,
    mother_hbsag,
    birth_dose,
    birth_dose_name,
    unvaccinated_reason,
    unvaccinated_reason_name
from marts.rpt_obstetric_unvaccinated_detail""",
    label_models=("rpt_obstetric_unvaccinated_detail",),
    labels=labels_with_regions(unit_id="产科单位编码", unit_name="产科单位"),
    metrics=(Metric("missed_doses", "count(*)", "未种剂次数", ",d"),),
    time_column="birth_date",
    region_columns=UNIT_REGION_COLUMNS,
)

DATASETS = [HBSAG, OBSTETRIC_MONTH, UNVACCINATED]

DASHBOARD = Dashboard(
    slug="obstetric",
    title="产科",
    description="HBsAg阳性母亲所生儿童乙肝接种率(首针及HBIG 12/24小时内、全程及全程及时接种率)、"
                "产科本月新生儿登记、产科未种原因统计及明细。",
    reports=("HBsAg阳性母亲所生儿童乙肝接种率", "产科查询", "产科未种原因"),
    order=50,
    rows=(
        (
            Chart("cohort-size", "HBsAg阳性/不详母亲所生儿童数", "hbsag_newborn", "big_number", ("cohort_size",),
                  width=3),
            Chart("hepb1-12h-rate", "乙肝首针12小时内及时接种率", "hbsag_newborn", "big_number",
                  ("hepb1_12h_rate",), width=3),
            Chart("both-12h-rate", "乙肝首针与HBIG均12小时内接种率", "hbsag_newborn", "big_number",
                  ("both_12h_rate",), width=3),
            Chart("missed-doses", "产科未种剂次数", "obstetric_unvaccinated", "big_number",
                  ("missed_doses",), width=3),
        ),
        (
            Chart("hbsag-by-city", "各市乙肝首针及HBIG 12小时内接种率", "hbsag_newborn", "bar",
                  ("hepb1_12h_rate", "hbig_12h_rate"), ("unit_city_name",), width=6),
            Chart("missed-by-reason", "未种原因分布", "obstetric_unvaccinated", "bar", ("missed_doses",),
                  ("unvaccinated_reason_name",), width=6),
        ),
        (
            Chart("hbsag-by-county", "HBsAg阳性母亲所生儿童乙肝接种率(各县区、队列)", "hbsag_newborn", "table",
                  ("cohort_size", "hepb1_12h_rate", "hepb1_24h_rate", "hbig_12h_rate", "both_12h_rate",
                   "full_course_rate", "full_course_timely_rate"),
                  ("unit_city_name", "unit_county_name", "hbsag_cohort"), width=12, height=60),
        ),
        (
            Chart("month-by-unit", "产科本月新生儿(各产科单位)", "obstetric_month", "table",
                  ("newborns", "taken_over_rate"), ("unit_county_name", "unit_name", "mother_hbsag"),
                  width=6, height=60),
            Chart("missed-by-dose", "未种原因(各出生剂次)", "obstetric_unvaccinated", "table",
                  ("missed_doses",), ("birth_dose_name", "unvaccinated_reason_name"), width=6, height=60),
        ),
        (
            Chart("unvaccinated-detail", "产科未种明细", "obstetric_unvaccinated", "detail",
                  columns=("birth_date", "unit_city_name", "unit_county_name", "unit_name", "unit_id", "newborn_id",
                           "birth_weight", "mother_hbsag", "birth_dose_name", "unvaccinated_reason_name"),
                  row_limit=500, width=12, height=70),
        ),
    ),
    filters=(
        *region_filters("hbsag_newborn", prefix="obs-region"),
        NativeFilter("birth-date", "出生日期", "time"),
        NativeFilter("cohort", "队列(阳性/不详)", "select", "hbsag_newborn", "hbsag_cohort"),
    ),
)
