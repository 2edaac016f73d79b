"""数据质量: dq.check_result by rule (trend over check runs) and dq.failed_row by rule and region.

A failed row's unit (its region, the region filters and the RLS scope) is resolved from the marts the rules
check, as rpt_dq_anomaly does: doses (fct_vaccinations / chk_vaccinations) → the vaccinating unit, recipients
(dim_recipients / chk_recipients) → the managing unit, staff (chk_staff) → the staff member's unit, unit-level
checks (chk_unit_*, keys ``unit_id:…``) → that unit; doses and the stock-use check (key
``unit:vaccine:manufacturer:batch``) also carry the vaccine. Only marts tables are read (no staging view), so
the dashboard's queries stay on pre-built tables.
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

_LATEST_RULE = """latest_rule as (
    select distinct on (rule_id) rule_id, name_zh
    from dq.rule
    order by rule_id, effective_from desc
)"""

CHECK_RESULT = Dataset(
    name="dq_check_result",
    schema="dq",
    description="每次质量检查每条规则的检查行数与问题行数 (全省合计, 不含明细)",
    sql=f"""with {_LATEST_RULE}
select
    cr.run_id,
    run.started_at::date as check_date,
    cr.rule_id,
    coalesce(r.name_zh, cr.rule_id) as rule_name,
    cr.table_name,
    cr.severity,
    cr.rows_checked,
    cr.rows_failed,
    cr.success,
    cr.run_id = (select max(run_id) from dq.check_run) as is_latest_run
from dq.check_result as cr
inner join dq.check_run as run on run.run_id = cr.run_id
left join latest_rule as r on r.rule_id = cr.rule_id""",
    labels={
        "run_id": "检查批次", "check_date": "检查日期", "rule_id": "规则编号", "rule_name": "规则",
        "table_name": "检查对象", "severity": "严重程度", "rows_checked": "检查行数", "rows_failed": "问题行数",
        "success": "通过", "is_latest_run": "最近一次检查",
    },
    metrics=(
        Metric("latest_rows_checked", "sum(rows_checked) filter (where is_latest_run)", "检查行数", ",d"),
        Metric("latest_rows_failed", "sum(rows_failed) filter (where is_latest_run)", "问题行数", ",d"),
        Metric("latest_failure_rate",
               "(sum(rows_failed) filter (where is_latest_run))::float"
               " / nullif(sum(rows_checked) filter (where is_latest_run), 0)::float",
               "问题率", ".2%"),
        Metric("rows_failed", "sum(rows_failed)", "问题行数(各次合计)", ",d"),
    ),
    time_column="check_date",
)

FAILED_ROW = Dataset(
    name="dq_failed_row",
    schema="dq",
    description="质量检查问题明细 (每个问题一行), 附单位所在地区 (接种记录取接种单位, 受种者取现管理单位, 业务人员取所在单位, "
                "单位级检查取该单位)",
    sql=f"""with {_LATEST_RULE},
keyed as (
    select
        f.run_id,
        f.rule_id,
        f.table_name,
        f.row_key,
        f.value,
        f.message_zh,
        coalesce(v.vaccine_code, case when f.table_name = 'chk_unit_stock_use' then split_part(f.row_key, ':', 2) end)
            as vaccine_code,
        coalesce(v.unit_id, d.managing_unit_id, st.unit_id,
                 case when left(f.table_name, 9) = 'chk_unit_' then split_part(f.row_key, ':', 1) end) as unit_id
    from dq.failed_row as f
    left join marts.fct_vaccinations as v
        on f.table_name in ('fct_vaccinations', 'chk_vaccinations') and v.vaccination_id::text = f.row_key
    left join marts.dim_recipients as d
        on f.table_name in ('dim_recipients', 'chk_recipients') and d.recipient_id::text = f.row_key
    left join marts.chk_staff as st
        on f.table_name = 'chk_staff' and st.staff_id::text = f.row_key
)
select
    k.run_id,
    run.started_at::date as check_date,
    k.run_id = (select max(run_id) from dq.check_run) as is_latest_run,
    k.rule_id,
    coalesce(r.name_zh, k.rule_id) as rule_name,
    k.table_name,
    k.row_key,
    k.value,
    k.message_zh,
    k.vaccine_code,
    k.unit_id,
    u.unit_name,
    u.township_code as unit_township_code,
    u.township_name as unit_township_name,
    u.county_code as unit_county_code,
    u.county_name as unit_county_name,
    u.city_code as unit_city_code,
    u.city_name as unit_city_name
from keyed as k
inner join dq.check_run as run on run.run_id = k.run_id
left join latest_rule as r on r.rule_id = k.rule_id
left join marts.dim_unit as u on u.unit_id = k.unit_id""",
    label_models=("fct_vaccinations",),
    labels={
        "run_id": "检查批次", "check_date": "检查日期", "is_latest_run": "最近一次检查", "rule_id": "规则编号",
        "rule_name": "规则", "table_name": "检查对象", "row_key": "记录编号", "value": "问题值",
        "message_zh": "问题说明",
    },
    metrics=(
        Metric("latest_failed", "count(*) filter (where is_latest_run)", "问题行数(最近一次)", ",d"),
        Metric("failed", "count(*)", "问题行数(各次合计)", ",d"),
    ),
    time_column="check_date",
    region_columns=UNIT_REGION_COLUMNS,
    vaccine_column="vaccine_code",
)

DATASETS = [CHECK_RESULT, FAILED_ROW]

DASHBOARD = Dashboard(
    slug="data-quality",
    title="数据质量",
    description="质量规则检查结果:各规则最近一次检查的问题行数与问题率、历次趋势;问题按规则、地区分布及明细。",
    order=90,
    reports=("数据质量检查结果", "数据质量问题明细"),
    rows=(
        (
            Chart("latest-failed-province", "最近一次检查问题行数(全省)", "dq_check_result", "big_number",
                  ("latest_rows_failed",), width=4),
            Chart("latest-failed-mine", "最近一次检查问题行数(本辖区)", "dq_failed_row", "big_number",
                  ("latest_failed",), width=4),
            Chart("latest-rate", "最近一次检查问题率(全省)", "dq_check_result", "big_number",
                  ("latest_failure_rate",), width=4),
        ),
        (
            Chart("by-rule", "各规则检查结果(最近一次)", "dq_check_result", "table",
                  ("latest_rows_checked", "latest_rows_failed", "latest_failure_rate"),
                  ("rule_id", "rule_name", "severity"), width=12, height=60),
        ),
        (
            Chart("failed-by-rule", "各规则问题行数(本辖区, 最近一次)", "dq_failed_row", "bar", ("latest_failed",),
                  ("rule_name",), width=6),
            Chart("failed-by-city", "各市问题行数(最近一次)", "dq_failed_row", "bar", ("latest_failed",),
                  ("unit_city_name",), width=6),
        ),
        (
            Chart("trend", "问题行数趋势", "dq_check_result", "line", ("rows_failed",), ("check_date",),
                  time_grain="P1D", width=6),
            Chart("failed-by-county", "各县(区)问题行数(最近一次)", "dq_failed_row", "table", ("latest_failed",),
                  ("unit_city_name", "unit_county_name"), width=6),
        ),
        (
            Chart("detail", "问题明细", "dq_failed_row", "detail",
                  columns=("check_date", "rule_name", "unit_city_name", "unit_county_name", "unit_name", "unit_id",
                           "table_name", "row_key", "value", "message_zh"),
                  row_limit=500, width=12, height=70),
        ),
    ),
    filters=(
        *region_filters("dq_failed_row", prefix="dq-region"),
        NativeFilter("check-date", "检查日期", "time"),
        NativeFilter("rule", "规则", "select", "dq_failed_row", "rule_name"),
    ),
)
