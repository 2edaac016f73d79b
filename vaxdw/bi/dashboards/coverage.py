"""接种率与及时性: 实种及时统计 (rpt_entry_timeliness), 接种率监测 / 脱漏率 (rpt_coverage_monthly) and
乡镇出生队列接种率 (rpt_cohort_coverage). 实种情况 has its own dashboard (shizhong).

Rates are sums of the marts' additive counts divided in the metric (cast to float), so they stay right at
every region level and over any date range.
"""

from __future__ import annotations

from vaxdw.bi.dashboards.unit_regions import labels_with_regions, unit_join
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

TIMELINESS = Dataset(
    name="entry_timeliness",
    schema="marts",
    description="实种及时统计表 (单元格: 接种日期 × 接种单位 × 疫苗; 可加总的记录数), 附市/县/乡镇名称",
    sql=f"""select
    t.*,
    u.township_name as unit_township_name,
    u.county_name as unit_county_name,
    u.city_name as unit_city_name
from marts.rpt_entry_timeliness as t
{unit_join("t.unit_id")}""",
    label_models=("rpt_entry_timeliness",),
    labels=labels_with_regions(),
    metrics=(
        Metric("records", "sum(records)", "接种记录数", ",d"),
        Metric("counted", "sum(counted)", "统计记录数", ",d"),
        Metric("back_entered", "sum(back_entered)", "补录记录数", ",d"),
        Metric("entry_timely_rate", ratio_of_sums("entry_timely", "counted"), "及时录入率", ".1%"),
        Metric("upload_timely_rate", ratio_of_sums("upload_timely", "counted"), "及时上传率", ".1%"),
        Metric("same_day_rate", ratio_of_sums("same_day", "counted"), "当天录入率", ".1%"),
        Metric("over_7d", "sum(over_7d)", "超过7天录入数", ",d"),
    ),
    time_column="vaccination_date",
    region_columns=UNIT_REGION_COLUMNS,
    vaccine_column="vaccine_code",
)

COVERAGE = Dataset(
    name="coverage_monthly",
    schema="marts",
    description="接种率监测月报 (单元格: 月份 × 管理单位 × 疫苗大类 × 剂次: 应种、实种、+1), 地区为管理单位所在地",
    sql=f"""select
    c.cell_id,
    c.month_start,
    c.managing_unit_id as unit_id,
    c.managing_unit_name as unit_name,
    c.township_code as unit_township_code,
    u.township_name as unit_township_name,
    c.county_code as unit_county_code,
    u.county_name as unit_county_name,
    c.city_code as unit_city_code,
    u.city_name as unit_city_name,
    c.category_code,
    c.category_name,
    c.dose_no,
    c.due,
    c.given,
    c.plus_one
from marts.rpt_coverage_monthly as c
{unit_join("c.managing_unit_id")}""",
    label_models=("rpt_coverage_monthly",),
    labels=labels_with_regions(unit_id="管理单位编码", unit_name="管理单位"),
    metrics=(
        Metric("due", "sum(due)", "应种数", ",d"),
        Metric("given", "sum(given)", "实种数", ",d"),
        Metric("plus_one", "sum(plus_one)", "应种+1实种+1数", ",d"),
        Metric("coverage_rate", ratio_of_sums("given", "due"), "接种率", ".1%"),
        # WHO/DHIS2 dropout (docs/reports/coverage_monitoring.md): (first − later) / first, same period/region
        Metric("dtap_dropout",
               "(sum(given) filter (where category_code = '04' and dose_no = 1)"
               " - sum(given) filter (where category_code = '04' and dose_no = 3))::float"
               " / nullif(sum(given) filter (where category_code = '04' and dose_no = 1), 0)::float",
               "百白破脱漏率(1→3)", ".1%"),
        Metric("mmr_dropout",
               "(sum(given) filter (where category_code = '12' and dose_no = 1)"
               " - sum(given) filter (where category_code = '12' and dose_no = 2))::float"
               " / nullif(sum(given) filter (where category_code = '12' and dose_no = 1), 0)::float",
               "麻腮风脱漏率(1→2)", ".1%"),
    ),
    time_column="month_start",
    region_columns=UNIT_REGION_COLUMNS,
    vaccine_column="category_code",
)

# The cohort's region is the child's residence township at the evaluation date (not a unit's); the columns
# keep the unit_* names so the dashboard's one region filter applies to it too.
COHORT = Dataset(
    name="cohort_coverage",
    schema="marts",
    description="乡镇出生队列接种率 (出生年度 × 现住址乡镇 × 疫苗大类 × 剂次), 评价日期为 dbt 变量 evaluation_date",
    sql="""select
    c.cell_id,
    c.birth_year,
    c.township_code as unit_township_code,
    c.township_name as unit_township_name,
    c.county_code as unit_county_code,
    r.county_name as unit_county_name,
    c.city_code as unit_city_code,
    r.city_name as unit_city_name,
    c.merged_code_count,
    c.category_code,
    c.category_name,
    c.dose_no,
    c.children,
    c.due_children,
    c.vaccinated,
    c.timely_vaccinated
from marts.rpt_cohort_coverage as c
left join marts.dim_region as r on r.region_code = c.township_code""",
    label_models=("rpt_cohort_coverage",),
    labels=labels_with_regions(unit_township_code="乡镇代码(现住址)", unit_township_name="乡镇(现住址)"),
    metrics=(
        Metric("children", "sum(children)", "出生队列人数", ",d"),
        Metric("vaccinated", "sum(vaccinated)", "合格接种人数", ",d"),
        Metric("cohort_coverage", ratio_of_sums("vaccinated", "children"), "接种率", ".1%"),
        Metric("cohort_timely_coverage", ratio_of_sums("timely_vaccinated", "children"), "及时接种率", ".1%"),
    ),
    region_columns={"city": "unit_city_code", "county": "unit_county_code", "township": "unit_township_code"},
    vaccine_column="category_code",
)

TIMELINESS_DETAIL = Dataset(
    name="entry_timeliness_detail",
    schema="marts",
    description="实种及时统计 明细 (每剂一行: 录入/上传延迟、录入时段、补录与及时标志)",
    sql=f"""select
    d.*,
    u.township_name as unit_township_name,
    u.county_name as unit_county_name,
    u.city_name as unit_city_name
from marts.rpt_entry_timeliness_detail as d
{unit_join("d.unit_id")}""",
    label_models=("rpt_entry_timeliness_detail",),
    labels=labels_with_regions(),
    metrics=(Metric("doses", "count(*)", "接种剂次数", ",d"),),
    time_column="vaccination_date",
    region_columns=UNIT_REGION_COLUMNS,
    vaccine_column="vaccine_code",
)

DATASETS = [TIMELINESS, TIMELINESS_DETAIL, COVERAGE, COHORT]

DASHBOARD = Dashboard(
    slug="coverage",
    title="接种率与及时性",
    description="实种及时统计(及时录入率、及时上传率、补录)、接种率监测月报(应种/实种、接种率、脱漏率)、"
                "乡镇出生队列接种率(接种率、及时接种率);各表可钻取到明细。",
    reports=("实种及时统计表", "接种率监测(接种率/脱漏率)", "乡镇出生队列接种率"),
    order=20,
    rows=(
        (
            Chart("entry-timely-rate", "及时录入率", "entry_timeliness", "big_number", ("entry_timely_rate",),
                  width=3),
            Chart("upload-timely-rate", "及时上传率", "entry_timeliness", "big_number", ("upload_timely_rate",),
                  width=3),
            Chart("coverage-rate", "接种率(实种/应种)", "coverage_monthly", "big_number", ("coverage_rate",),
                  width=3),
            Chart("dtap-dropout", "百白破脱漏率(1→3)", "coverage_monthly", "big_number", ("dtap_dropout",),
                  width=3),
        ),
        (
            Chart("timely-by-city", "各市及时录入率与及时上传率", "entry_timeliness", "bar",
                  ("entry_timely_rate", "upload_timely_rate"), ("unit_city_name",), width=6),
            Chart("coverage-by-month", "逐月接种率", "coverage_monthly", "line", ("coverage_rate",),
                  ("month_start",), width=6),
        ),
        (
            Chart("timeliness-by-county", "实种及时统计(各县区)", "entry_timeliness", "table",
                  ("records", "counted", "entry_timely_rate", "upload_timely_rate", "same_day_rate", "back_entered",
                   "over_7d"),
                  ("unit_city_name", "unit_county_name"), width=12, height=60),
        ),
        (
            Chart("coverage-by-vaccine", "接种率监测(各疫苗剂次)", "coverage_monthly", "table",
                  ("due", "given", "coverage_rate", "plus_one"), ("category_name", "dose_no"), width=6, height=60),
            Chart("dropout-by-county", "脱漏率(各县区)", "coverage_monthly", "table",
                  ("dtap_dropout", "mmr_dropout"), ("unit_city_name", "unit_county_name"), width=6, height=60),
        ),
        (
            Chart("cohort-by-township", "乡镇出生队列接种率", "cohort_coverage", "table",
                  ("children", "vaccinated", "cohort_coverage", "cohort_timely_coverage"),
                  ("birth_year", "unit_county_name", "unit_township_name", "category_name", "dose_no"),
                  width=12, height=70),
        ),
        (
            Chart("timeliness-detail", "实种及时明细", "entry_timeliness_detail", "detail",
                  columns=("vaccination_date", "unit_city_name", "unit_county_name", "unit_name", "unit_id",
                           "vaccine_name", "dose_no", "entry_bucket", "entry_delay_minutes", "is_entry_timely",
                           "is_upload_timely", "is_back_entered", "vaccination_id"),
                  row_limit=500, width=12, height=70),
        ),
    ),
    filters=(
        *region_filters("entry_timeliness", prefix="cov-region"),
        NativeFilter("date", "接种日期 / 月份", "time"),
        NativeFilter("vaccine", "疫苗", "select", "entry_timeliness", "vaccine_name"),
        NativeFilter("category", "疫苗大类", "select", "coverage_monthly", "category_name"),
        NativeFilter("birth-year", "出生年度", "select", "cohort_coverage", "birth_year"),
    ),
)
