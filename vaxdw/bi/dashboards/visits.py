"""留观率、签核率与省内迁出: the per-visit event reports — rpt_observation (留观率, DOMAIN §8.3), rpt_signoff
(签核率, §8.4) and rpt_migration / rpt_migration_detail (省内迁出, §8.8).

The marts carry only unit ids; the unit's region comes from dim_unit (迁出: the from-unit's region).
They have no vaccine column (a visit or a move is not about one vaccine): vaccine-scoped accounts see no
rows here (vaxdw.bi.access denies a dataset without the column to a vaccine-scoped role).
"""

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

OBSERVATION = Dataset(
    name="observation",
    schema="marts",
    description="留观率统计表 (日汇总: 接种单位 × 接种日期 × 在册分组), 附单位所在地区",
    sql=f"""select
    o.unit_id,
    o.vaccination_date,
    o.register_group,
    o.visits,
    o.visits_recorded,
    o.visits_completed,
    o.visits_with_aefi,
    u.unit_name,
    {UNIT_REGION_SELECT}
from marts.rpt_observation as o
{unit_join("o.unit_id")}""",
    label_models=("rpt_observation",),
    labels=labels_with_regions(),
    metrics=(
        Metric("visits", "sum(visits)", "就诊人次", ",d"),
        Metric("observation_recorded_rate", ratio_of_sums("visits_recorded", "visits"), "留观登记率", ".1%"),
        Metric("observation_rate", ratio_of_sums("visits_completed", "visits"), "留观率(达标)", ".1%"),
        Metric("visits_with_aefi", "sum(visits_with_aefi)", "留观AEFI人次", ",d"),
    ),
    time_column="vaccination_date",
    region_columns=UNIT_REGION_COLUMNS,
)

SIGNOFF = Dataset(
    name="signoff",
    schema="marts",
    description="签核率统计 (日汇总: 接种单位 × 接种日期), 附单位所在地区",
    sql=f"""select
    s.*,
    u.unit_name,
    {UNIT_REGION_SELECT}
from marts.rpt_signoff as s
{unit_join("s.unit_id")}""",
    label_models=("rpt_signoff",),
    labels=labels_with_regions(),
    metrics=(
        Metric("signoff_visits", "sum(visits)", "就诊人次", ",d"),
        Metric("signoff_doses", "sum(doses)", "接种剂次数", ",d"),
        Metric("reg_signoff_rate", ratio_of_sums("reg_signed", "visits"), "登记签核率", ".1%"),
        Metric("vacc_signoff_rate", ratio_of_sums("vacc_signed", "doses"), "接种签核率", ".1%"),
        Metric("reg_late", "sum(reg_late)", "登记迟签数", ",d"),
        Metric("vacc_late", "sum(vacc_late)", "接种迟签数", ",d"),
        Metric("vacc_out_of_order", "sum(vacc_out_of_order)", "接种签核顺序异常数", ",d"),
    ),
    time_column="vaccination_date",
    region_columns=UNIT_REGION_COLUMNS,
)

MIGRATION = Dataset(
    name="migration",
    schema="marts",
    description="省内迁出报表 (月汇总: 迁出单位 × 月份), 地区为迁出单位所在地",
    sql=f"""select
    m.*,
    m.from_unit_id as unit_id,
    u.unit_name,
    {UNIT_REGION_SELECT}
from marts.rpt_migration as m
{unit_join("m.from_unit_id")}""",
    label_models=("rpt_migration",),
    labels=labels_with_regions(unit_id="迁出单位编码", unit_name="迁出单位"),
    metrics=(
        Metric("initiated", "sum(initiated)", "发起数", ",d"),
        Metric("accepted", "sum(accepted)", "已接收", ",d"),
        Metric("rejected", "sum(rejected)", "已拒绝", ",d"),
        Metric("withdrawn", "sum(withdrawn)", "已撤回", ",d"),
        Metric("accept_rate", ratio_of_sums("accepted", "accepted", "rejected"),
               "接收率(已接收/已决定)", ".1%"),
    ),
    time_column="event_month",
    region_columns=UNIT_REGION_COLUMNS,
)

MIGRATION_DETAIL = Dataset(
    name="migration_detail",
    schema="marts",
    description="省内迁出 明细 (每个迁移申请一行, 含迁出/迁入单位及地区), 地区为迁出单位所在地",
    sql="""select
    d.migration_id,
    d.recipient_id,
    d.migration_status,
    d.initiated_date,
    d.decided_date,
    d.withdrawn_date,
    d.days_to_accept,
    d.from_unit_id,
    d.to_unit_id,
    d.to_unit_name,
    d.to_county_name,
    d.to_city_name,
    d.is_decided_before_initiated,
    d.from_unit_id as unit_id,
    d.from_unit_name as unit_name,
    d.from_township_code as unit_township_code,
    d.from_township_name as unit_township_name,
    d.from_county_code as unit_county_code,
    d.from_county_name as unit_county_name,
    d.from_city_code as unit_city_code,
    d.from_city_name as unit_city_name
from marts.rpt_migration_detail as d""",
    label_models=("rpt_migration_detail",),
    labels=labels_with_regions(unit_id="迁出单位编码", unit_name="迁出单位", initiated_date="发起日期",
                               decided_date="接收/拒绝日期", withdrawn_date="撤回日期",
                               to_county_name="迁入县(区)", to_city_name="迁入市"),
    metrics=(Metric("migrations", "count(*)", "迁移申请数", ",d"),),
    time_column="initiated_date",
    region_columns=UNIT_REGION_COLUMNS,
)

DATASETS = [OBSERVATION, SIGNOFF, MIGRATION, MIGRATION_DETAIL]

DASHBOARD = Dashboard(
    slug="visits",
    title="留观、签核与省内迁出",
    description="留观率统计表(留观登记率、留观达标率、AEFI)、签核率统计(登记签核率、接种签核率、迟签与顺序异常)、"
                "省内迁出报表(发起、接收、拒绝、撤回及明细)。",
    reports=("留观率统计表", "签核率统计", "省内迁出报表"),
    order=30,
    rows=(
        (
            Chart("observation-rate", "留观率(达标)", "observation", "big_number", ("observation_rate",), width=3),
            Chart("reg-signoff-rate", "登记签核率", "signoff", "big_number", ("reg_signoff_rate",), width=3),
            Chart("vacc-signoff-rate", "接种签核率", "signoff", "big_number", ("vacc_signoff_rate",), width=3),
            Chart("migrations-initiated", "省内迁出发起数", "migration", "big_number", ("initiated",), width=3),
        ),
        (
            Chart("observation-by-city", "各市留观登记率与留观率", "observation", "bar",
                  ("observation_recorded_rate", "observation_rate"), ("unit_city_name",), width=6),
            Chart("signoff-by-month", "逐月签核率", "signoff", "line", ("reg_signoff_rate", "vacc_signoff_rate"),
                  ("vaccination_date",), width=6),
        ),
        (
            Chart("observation-by-county", "留观率统计(各县区)", "observation", "table",
                  ("visits", "observation_recorded_rate", "observation_rate", "visits_with_aefi"),
                  ("unit_city_name", "unit_county_name"), width=6, height=60),
            Chart("signoff-by-county", "签核率统计(各县区)", "signoff", "table",
                  ("signoff_visits", "reg_signoff_rate", "reg_late", "signoff_doses", "vacc_signoff_rate", "vacc_late",
                   "vacc_out_of_order"),
                  ("unit_city_name", "unit_county_name"), width=6, height=60),
        ),
        (
            Chart("migration-by-month", "逐月省内迁出", "migration", "line",
                  ("initiated", "accepted", "rejected", "withdrawn"), ("event_month",), width=6),
            Chart("migration-by-county", "省内迁出(各县区)", "migration", "table",
                  ("initiated", "accepted", "rejected", "withdrawn", "accept_rate"),
                  ("unit_city_name", "unit_county_name"), width=6, height=60),
        ),
        (
            Chart("migration-detail", "省内迁出明细", "migration_detail", "detail",
                  columns=("initiated_date", "unit_city_name", "unit_county_name", "unit_name", "unit_id",
                           "to_city_name", "to_county_name", "to_unit_name", "migration_status", "days_to_accept",
                           "migration_id"),
                  row_limit=500, width=12, height=70),
        ),
    ),
    filters=(
        *region_filters("observation", prefix="visit-region"),
        NativeFilter("date", "日期", "time"),
        NativeFilter("register-group", "在册分组", "select", "observation", "register_group"),
    ),
)
