"""实种情况 (coverage and timeliness family, first member): marts.rpt_shizhong + fct_vaccinations.

Further members of the family (实种及时, 接种率/dropout, 乡镇出生队列) get their own module when their
marts land; they can reuse ``VACCINATIONS`` for the detail rows.
"""

from __future__ import annotations

from vaxdw.bi.specs import (
    UNIT_REGION_COLUMNS,
    Chart,
    Dashboard,
    Dataset,
    Metric,
    NativeFilter,
    region_filters,
)

SHIZHONG = Dataset(
    name="rpt_shizhong",
    schema="marts",
    description="实种情况统计表 (单元格: 接种日期 × 接种单位 × 疫苗 × 剂次 × 生产企业), 附市/县/乡镇名称",
    sql="""select
    s.*,
    r.city_name as unit_city_name,
    r.county_name as unit_county_name,
    r.township_name as unit_township_name
from marts.rpt_shizhong as s
left join marts.dim_region as r on r.region_code = s.unit_township_code""",
    label_models=("rpt_shizhong", "fct_vaccinations"),
    metrics=(
        Metric("doses", "sum(doses)", "实种剂次数", ",d"),
        Metric("latest_date", "max(vaccination_date)", "最近接种日期"),
    ),
    time_column="vaccination_date",
    region_columns=UNIT_REGION_COLUMNS,
    vaccine_column="vaccine_code",
)

VACCINATIONS = Dataset(
    name="vaccinations",
    schema="marts",
    description="接种记录 (fct_vaccinations, 每剂一行) 附在册情况名称",
    sql="""select
    v.vaccination_id,
    v.recipient_id,
    v.vaccination_date,
    v.vaccine_code,
    v.vaccine_name,
    v.category_code,
    v.dose_no,
    v.effective_dose_no,
    v.manufacturer_name,
    v.batch_no,
    v.unit_id,
    v.unit_name,
    v.unit_township_code,
    v.unit_township_name,
    v.unit_county_code,
    v.unit_county_name,
    v.unit_city_code,
    v.unit_city_name,
    v.register_status,
    rs.register_status_name,
    v.register_group,
    v.age_months,
    v.is_valid_dose,
    v.is_dose_no_mismatch,
    v.is_non_vaccine_product
from marts.fct_vaccinations as v
left join seeds.ref_register_status as rs on rs.register_status = v.register_status""",
    label_models=("fct_vaccinations",),
    labels={"register_status_name": "在册情况", "register_status": "在册情况代码"},
    metrics=(
        Metric("dose_count", "count(*)", "接种剂次数", ",d"),
        Metric("persons", "count(distinct recipient_id)", "实种人数", ",d"),
        Metric("valid_rate", "avg(case when is_valid_dose then 1.0 else 0.0 end)::float", "合格接种率", ".1%"),
        Metric("dose_mismatch_rate", "avg(case when is_dose_no_mismatch then 1.0 else 0.0 end)::float",
               "剂次不一致率", ".2%"),
    ),
    time_column="vaccination_date",
    region_columns=UNIT_REGION_COLUMNS,
    vaccine_column="vaccine_code",
)

DATASETS = [SHIZHONG, VACCINATIONS]

DASHBOARD = Dashboard(
    slug="shizhong",
    title="实种情况统计",
    description="实种情况统计表(DOMAIN §8.2):按接种日期、地区、疫苗、剂次、生产企业统计实种剂次数与人数;"
                "合格接种率、剂次不一致率;接种明细。",
    order=10,
    reports=("实种情况统计表",),
    rows=(
        (
            Chart("doses-total", "实种剂次数", "rpt_shizhong", "big_number", ("doses",)),
            Chart("persons-total", "实种人数", "vaccinations", "big_number", ("persons",)),
            Chart("valid-rate", "合格接种率", "vaccinations", "big_number", ("valid_rate",)),
        ),
        (
            Chart("doses-by-city", "各市实种剂次数", "rpt_shizhong", "bar", ("doses",), ("unit_city_name",),
                  width=6),
            Chart("doses-by-month", "逐月实种剂次数", "rpt_shizhong", "line", ("doses",), ("vaccination_date",),
                  width=6),
        ),
        (
            Chart("vaccine-by-dose", "各疫苗分剂次实种剂次数", "rpt_shizhong", "pivot", ("doses",),
                  ("vaccine_name",), ("dose_no",), width=12, height=70),
        ),
        (
            Chart("by-county", "各县(区)接种情况", "vaccinations", "table",
                  ("dose_count", "persons", "valid_rate", "dose_mismatch_rate"),
                  ("unit_city_name", "unit_county_name"), width=12, height=60),
        ),
        (
            Chart("detail", "接种明细", "vaccinations", "detail",
                  columns=("vaccination_date", "unit_city_name", "unit_county_name", "unit_township_name",
                           "unit_name", "unit_id", "vaccine_name", "dose_no", "manufacturer_name",
                           "register_status_name", "vaccination_id"),
                  row_limit=500, width=12, height=70),
        ),
    ),
    filters=(
        *region_filters("rpt_shizhong"),
        NativeFilter("date", "接种日期", "time"),
        NativeFilter("vaccine", "疫苗", "select", "rpt_shizhong", "vaccine_name"),
        NativeFilter("register-status", "在册情况", "select", "vaccinations", "register_status_name"),
    ),
)
