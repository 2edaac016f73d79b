"""IPV 补种: rpt_ipv_catchup (DOMAIN §8.7, per campaign × managing unit; additive counts), the children
in rpt_ipv_catchup_detail. No vaccine column (the report is about the polio series as a whole):
vaccine-scoped accounts see no rows."""

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

IPV_CATCHUP = Dataset(
    name="ipv_catchup",
    schema="marts",
    description="IPV补种剂次统计表 (补种活动 × 管理单位), 地区为管理单位所在地",
    sql=f"""select
    c.cell_id,
    c.campaign_id,
    c.managing_unit_id as unit_id,
    c.managing_unit_name as unit_name,
    c.township_code as unit_township_code,
    u.township_name as unit_township_name,
    c.county_code as unit_county_code,
    u.county_name as unit_county_name,
    c.city_code as unit_city_code,
    u.city_name as unit_city_name,
    c.eligible,
    c.need_2,
    c.need_1,
    c.need_0,
    c.needing,
    c.dose1_given,
    c.dose2_given,
    c.completed,
    c.needing_in_schedule
from marts.rpt_ipv_catchup as c
{unit_join("c.managing_unit_id")}""",
    label_models=("rpt_ipv_catchup",),
    labels=labels_with_regions(unit_id="管理单位编码", unit_name="管理单位"),
    metrics=(
        Metric("eligible", "sum(eligible)", "补种对象数", ",d"),
        Metric("needing", "sum(needing)", "需补种人数", ",d"),
        Metric("completed", "sum(completed)", "完成补种人数", ",d"),
        Metric("catchup_doses", "sum(dose1_given) + sum(dose2_given)", "补种剂次数", ",d"),
        Metric("completion_rate", ratio_of_sums("completed", "needing"), "补种完成率", ".1%"),
    ),
    region_columns=UNIT_REGION_COLUMNS,
)

IPV_DETAIL = Dataset(
    name="ipv_catchup_detail",
    schema="marts",
    description="IPV补种 明细 (补种出生窗口内的在册儿童, 每人一行)",
    sql="""select
    d.recipient_id,
    d.recipient_name,
    d.birth_date,
    d.campaign_id,
    d.managing_unit_id as unit_id,
    d.managing_unit_name as unit_name,
    d.township_code as unit_township_code,
    r.township_name as unit_township_name,
    d.county_code as unit_county_code,
    r.county_name as unit_county_name,
    d.city_code as unit_city_code,
    r.city_name as unit_city_name,
    d.trivalent_doses_before,
    d.doses_needed,
    d.catchup_doses_given,
    d.catchup1_date,
    d.catchup2_date,
    d.is_completed
from marts.rpt_ipv_catchup_detail as d
left join marts.dim_region as r on r.region_code = d.township_code""",
    label_models=("rpt_ipv_catchup_detail",),
    labels=labels_with_regions(unit_id="管理单位编码", unit_name="管理单位"),
    metrics=(Metric("children", "count(*)", "儿童数", ",d"),),
    time_column="birth_date",
    region_columns=UNIT_REGION_COLUMNS,
)

DATASETS = [IPV_CATCHUP, IPV_DETAIL]

DASHBOARD = Dashboard(
    slug="ipv-catchup",
    title="IPV补种",
    description="IPV补种剂次统计表:各补种活动的补种对象、需补种人数、补种剂次与完成率(按管理单位所在地区);补种儿童明细。",
    reports=("IPV补种剂次统计表",),
    order=40,
    rows=(
        (
            Chart("eligible", "补种对象数", "ipv_catchup", "big_number", ("eligible",), width=3),
            Chart("needing", "需补种人数", "ipv_catchup", "big_number", ("needing",), width=3),
            Chart("doses", "补种剂次数", "ipv_catchup", "big_number", ("catchup_doses",), width=3),
            Chart("completion-rate", "补种完成率", "ipv_catchup", "big_number", ("completion_rate",), width=3),
        ),
        (
            Chart("by-city", "各市补种完成率", "ipv_catchup", "bar", ("completion_rate",), ("unit_city_name",),
                  width=12),
        ),
        (
            Chart("by-county", "IPV补种剂次统计(各县区)", "ipv_catchup", "table",
                  ("eligible", "needing", "catchup_doses", "completed", "completion_rate"),
                  ("campaign_id", "unit_city_name", "unit_county_name"), width=12, height=60),
        ),
        (
            Chart("detail", "补种儿童明细", "ipv_catchup_detail", "detail",
                  columns=("campaign_id", "unit_city_name", "unit_county_name", "unit_name", "unit_id", "recipient_id",
                           "birth_date", "doses_needed", "catchup_doses_given", "catchup1_date", "catchup2_date",
                           "is_completed"),
                  row_limit=500, width=12, height=70),
        ),
    ),
    filters=(
        *region_filters("ipv_catchup", prefix="ipv-region"),
        NativeFilter("campaign", "补种活动", "select", "ipv_catchup", "campaign_id"),
    ),
)
