"""冷链: 冷链设备温度监测情况 (rpt_coldchain_devices), 温度超标事件 (rpt_coldchain_excursions) from
marts/exchange, and the equipment register (dim_cold_chain_equipment) from marts/traceability.

Scope: the device's unit's most specific region (``region_code``; the equipment mart carries its own).
No vaccine column: vaccine-scoped accounts see no rows (as the equipment mart's own PostgreSQL policy).
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

REGION_COLUMNS = {**UNIT_REGION_COLUMNS, "region": "region_code"}
_UNIT_REGION_CODE = "coalesce(u.township_code, u.county_code, u.city_code, u.province_code) as region_code"

DEVICES = Dataset(
    name="coldchain_devices",
    schema="marts",
    description="冷链设备温度监测情况 (每台监测设备一行: 上报条数、中断、迟报、超标告警、是否停报)",
    sql=f"""select
    d.vendor,
    d.device_id,
    d.device_name,
    d.device_type,
    d.min_c::float as min_c,
    d.max_c::float as max_c,
    d.unit_id,
    u.unit_name,
    {_UNIT_REGION_CODE},
    {UNIT_REGION_SELECT},
    d.readings,
    d.lowest_c::float as lowest_c,
    d.highest_c::float as highest_c,
    d.readings_out_of_range,
    d.late_uploads,
    d.gaps,
    d.excursions,
    d.alert_excursions,
    d.alert_minutes::float as alert_minutes,
    d.last_measured_at,
    d.silent_minutes::float as silent_minutes,
    d.is_stopped
from marts.rpt_coldchain_devices as d
{unit_join("d.unit_id")}""",
    label_models=("rpt_coldchain_devices",),
    labels=labels_with_regions(unit_id="单位编码", unit_name="单位", vendor="厂商", device_name="设备名称",
                               device_type="设备类型", readings_out_of_range="超出范围条数", excursions="超标次数",
                               last_measured_at="最后采集时间", silent_minutes="未上报分钟数",
                               min_c="温度下限(℃)", max_c="温度上限(℃)", lowest_c="最低温度(℃)",
                               highest_c="最高温度(℃)", region_code="区划代码"),
    metrics=(
        Metric("devices", "count(*)", "监测设备数", ",d"),
        Metric("stopped", "count(*) filter (where is_stopped)", "停报设备数", ",d"),
        Metric("stopped_rate", "avg(case when is_stopped then 1.0 else 0.0 end)::float", "停报率", ".1%"),
        Metric("alert_excursions", "sum(alert_excursions)", "超标告警次数", ",d"),
        Metric("late_upload_rate", ratio_of_sums("late_uploads", "readings"), "迟报率", ".1%"),
        Metric("gaps", "sum(gaps)", "中断次数", ",d"),
    ),
    region_columns=REGION_COLUMNS,
)

EXCURSIONS = Dataset(
    name="coldchain_excursions",
    schema="marts",
    description="温度超标事件 (每个超标事件一行: 开始、结束、持续分钟、极值、是否告警)",
    sql=f"""select
    e.vendor,
    e.device_id,
    e.device_name,
    e.unit_id,
    u.unit_name,
    {_UNIT_REGION_CODE},
    {UNIT_REGION_SELECT},
    e.started_at,
    e.ended_at,
    e.readings_out,
    e.direction,
    e.extreme_c::float as extreme_c,
    e.duration_minutes::float as duration_minutes,
    e.is_alert
from marts.rpt_coldchain_excursions as e
{unit_join("e.unit_id")}""",
    label_models=("rpt_coldchain_excursions",),
    labels=labels_with_regions(unit_id="单位编码", unit_name="单位", vendor="厂商", device_name="设备名称",
                               readings_out="超标读数条数", direction="方向(高/低)", region_code="区划代码"),
    metrics=(
        Metric("excursion_count", "count(*)", "超标事件数", ",d"),
        Metric("alerts", "count(*) filter (where is_alert)", "告警事件数", ",d"),
        Metric("alert_minutes_total", "sum(duration_minutes) filter (where is_alert)", "告警时长(分钟)", ",.0f"),
    ),
    time_column="started_at",
    region_columns=REGION_COLUMNS,
)

EQUIPMENT = Dataset(
    name="cold_chain_equipment",
    schema="marts",
    description="冷链设备档案 (每台设备一行: 类型、品牌、容积、购置、状态), 附单位所在地区",
    sql=f"""select
    e.equipment_id,
    e.unit_id,
    e.unit_name,
    e.region_code,
    {UNIT_REGION_SELECT},
    e.equipment_type,
    e.brand,
    e.model,
    e.volume_l::float as volume_l,
    e.purchase_date,
    e.funding_source,
    e.in_use_date,
    e.status,
    e.scrapped_date,
    e.probe_id
from marts.dim_cold_chain_equipment as e
{unit_join("e.unit_id")}""",
    label_models=("dim_cold_chain_equipment",),
    labels=labels_with_regions(unit_id="单位编码", unit_name="单位"),
    metrics=(
        Metric("equipment", "count(*)", "设备数", ",d"),
        Metric("in_use", "count(*) filter (where status = '在用')", "在用设备数", ",d"),
        Metric("in_use_rate", "avg(case when status = '在用' then 1.0 else 0.0 end)::float", "在用率", ".1%"),
        Metric("with_probe_rate", "avg(case when probe_id is not null then 1.0 else 0.0 end)::float",
               "已接入温度监测比例", ".1%"),
    ),
    region_columns=REGION_COLUMNS,
)

DATASETS = [DEVICES, EXCURSIONS, EQUIPMENT]

DASHBOARD = Dashboard(
    slug="coldchain",
    title="冷链",
    description="冷链设备档案(设备数、在用率、接入温度监测比例)、设备温度监测情况(停报、迟报、中断、超标告警)"
                "与温度超标事件明细。",
    reports=("冷链设备档案", "冷链设备温度监测情况", "温度超标事件"),
    order=70,
    rows=(
        (
            Chart("equipment", "冷链设备数", "cold_chain_equipment", "big_number", ("equipment",), width=3),
            Chart("in-use-rate", "设备在用率", "cold_chain_equipment", "big_number", ("in_use_rate",), width=3),
            Chart("stopped", "停报设备数", "coldchain_devices", "big_number", ("stopped",), width=3),
            Chart("alerts", "超标告警事件数", "coldchain_excursions", "big_number", ("alerts",), width=3),
        ),
        (
            Chart("equipment-by-city", "各市冷链设备数(按类型)", "cold_chain_equipment", "bar", ("equipment",),
                  ("unit_city_name", "equipment_type"), width=6),
            Chart("excursions-by-day", "逐日超标事件", "coldchain_excursions", "line",
                  ("excursion_count", "alerts"), ("started_at",), time_grain="P1D", width=6),
        ),
        (
            Chart("equipment-by-county", "冷链设备档案(各县区)", "cold_chain_equipment", "table",
                  ("equipment", "in_use", "in_use_rate", "with_probe_rate"),
                  ("unit_city_name", "unit_county_name", "equipment_type"), width=6, height=60),
            Chart("devices-by-county", "温度监测情况(各县区)", "coldchain_devices", "table",
                  ("devices", "stopped", "stopped_rate", "late_upload_rate", "gaps", "alert_excursions"),
                  ("unit_city_name", "unit_county_name"), width=6, height=60),
        ),
        (
            Chart("excursion-detail", "温度超标事件明细", "coldchain_excursions", "detail",
                  columns=("started_at", "unit_city_name", "unit_county_name", "unit_name", "unit_id", "device_name",
                           "device_id", "direction", "extreme_c", "duration_minutes", "is_alert"),
                  row_limit=500, width=12, height=70),
        ),
    ),
    filters=(
        *region_filters("cold_chain_equipment", prefix="cc-region"),
        NativeFilter("date", "超标开始时间", "time"),
        NativeFilter("equipment-type", "设备类型", "select", "cold_chain_equipment", "equipment_type"),
    ),
)
