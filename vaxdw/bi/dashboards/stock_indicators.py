"""库存指标、盘点与计划: 库存指标 (rpt_stock_indicators: stockout, closed-vial wastage, months of cover,
expiring / expired stock), 盘点 (fct_stock_counts: counted vs book per unit, batch and count date) and
计划汇总 (rpt_plan_summary) from marts/traceability — a second stock dashboard beside 疫苗追溯.

Scope as the other traceability datasets: the marts' own ``region_code`` (the unit's most specific region;
for 计划汇总 the summarising parent unit's) and ``vaccine_code`` (the rabies and haemorrhagic-fever
accounts see only their vaccine). Definitions: docs/reports/stock_indicators.md, docs/reports/plan_summary.md.

Stock levels (期末库存, 近效期, 过期) are not additive over months: their big numbers and the months-of-cover
figure take the latest month (``is_latest_month``); flows (use, issue, scrap, stockout days) and the rates
built from them sum over any range of months.
"""

from __future__ import annotations

from functools import cache

import yaml

from vaxdw.bi.dashboards.stock import STOCK_REGION_COLUMNS
from vaxdw.bi.dashboards.unit_regions import UNIT_REGION_SELECT, labels_with_regions, unit_join
from vaxdw.bi.specs import Chart, Dashboard, Dataset, Metric, NativeFilter, ratio_of_sums, region_filters
from vaxdw.settings import PROJECT_ROOT


@cache
def window_months() -> int:
    """dbt var ``stock_indicator_window_months`` (the W of 库存可供月数 = closing ÷ (issued in W ÷ W))."""
    doc = yaml.safe_load((PROJECT_ROOT / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8"))
    return int(doc["vars"]["stock_indicator_window_months"])


def _latest(expression: str) -> str:
    return f"sum({expression}) filter (where is_latest_month)"


def months_of_cover(latest_only: bool) -> str:
    """W × Σ max(closing, 0) ÷ Σ issued in the window: per unit-month the mart's stock_coverage_months, over
    several rows their closing stock against their average monthly issue."""
    if latest_only:
        return (f"{window_months()} * ({_latest('greatest(closing_doses, 0)')})::float"
                f" / nullif({_latest('issued_doses_window')}, 0)::float")
    return f"{window_months()} * {ratio_of_sums('greatest(closing_doses, 0)', 'issued_doses_window')}"


INDICATORS = Dataset(
    name="stock_indicators",
    schema="marts",
    description="库存指标 (每个单位每种疫苗每月一行, 人份): 缺货天数、未开启损耗、期末库存与可供月数、近效期与过期库存、"
                "盘点差异",
    sql=f"""select
    i.indicator_key,
    i.unit_id,
    i.unit_name,
    i.unit_type,
    i.region_code,
    {UNIT_REGION_SELECT},
    i.vaccine_code,
    i.vaccine_name,
    i.month_start,
    i.month_end,
    i.month_start = (select max(month_start) from marts.rpt_stock_indicators) as is_latest_month,
    i.days_in_period,
    i.is_vaccinating_unit,
    i.stockout_days,
    i.is_stockout,
    i.used_doses,
    i.issued_doses,
    i.scrapped_doses,
    i.scrapped_expired_doses,
    i.scrapped_other_doses,
    i.scrap_reasons,
    i.closed_vial_wastage_rate::float as closed_vial_wastage_rate,
    i.closing_doses,
    i.issued_doses_window,
    i.stock_coverage_months::float as stock_coverage_months,
    i.expiring_soon_doses,
    i.expired_doses,
    i.count_date,
    i.has_stock_count,
    i.counted_doses,
    i.book_doses_at_count,
    i.count_discrepancy_doses,
    i.count_discrepancy_abs_doses,
    i.count_discrepancy_batches
from marts.rpt_stock_indicators as i
{unit_join("i.unit_id")}""",
    label_models=("rpt_stock_indicators",),
    labels=labels_with_regions(unit_id="单位编码", unit_name="单位", is_latest_month="最近一个月"),
    metrics=(
        Metric("vaccinating_unit_months", "count(*) filter (where is_vaccinating_unit)", "接种单位·月数", ",d"),
        Metric("stockout_unit_months", "count(*) filter (where is_stockout)", "缺货单位·月数", ",d"),
        Metric("stockout_rate", ratio_of_sums("case when is_stockout then 1 else 0 end",
                                              "case when is_vaccinating_unit then 1 else 0 end"),
               "缺货率(缺货单位·月 ÷ 接种单位·月)", ".1%"),
        Metric("stockout_days", "sum(stockout_days)", "缺货天数", ",d"),
        Metric("stockout_day_share", ratio_of_sums("stockout_days",
                                                   "case when is_vaccinating_unit then days_in_period else 0 end"),
               "缺货天数占比", ".1%"),
        Metric("used_doses", "sum(used_doses)", "接种使用(人份)", ",d"),
        Metric("issued_doses", "sum(issued_doses)", "发出(人份)", ",d"),
        Metric("scrapped_doses", "sum(scrapped_doses)", "报损(人份)", ",d"),
        Metric("scrapped_expired_doses", "sum(scrapped_expired_doses)", "过期报损(人份)", ",d"),
        Metric("wastage_rate", ratio_of_sums("scrapped_doses", "issued_doses", "scrapped_doses"),
               "未开启损耗率", ".2%"),
        Metric("closing_doses_latest", _latest("closing_doses"), "期末库存(人份, 最近月)", ",d"),
        Metric("closing_doses", "sum(closing_doses)", "期末库存(人份)", ",d"),
        Metric("months_of_cover_latest", months_of_cover(latest_only=True), "库存可供月数(最近月)", ".1f"),
        Metric("months_of_cover", months_of_cover(latest_only=False), "库存可供月数", ".1f"),
        Metric("expiring_soon_latest", _latest("expiring_soon_doses"), "近效期库存(人份, 最近月)", ",d"),
        Metric("expired_latest", _latest("expired_doses"), "过期库存(人份, 最近月)", ",d"),
        Metric("expiring_soon_doses", "sum(expiring_soon_doses)", "近效期库存(人份)", ",d"),
        Metric("expired_doses", "sum(expired_doses)", "过期库存(人份)", ",d"),
        Metric("count_discrepancy_abs", "sum(count_discrepancy_abs_doses)", "盘点差异绝对值(人份)", ",d"),
        Metric("count_discrepancy_batches", "sum(count_discrepancy_batches)", "盘点差异批次数", ",d"),
    ),
    time_column="month_start",
    region_columns=STOCK_REGION_COLUMNS,
    vaccine_column="vaccine_code",
)

COUNTS = Dataset(
    name="stock_counts",
    schema="marts",
    description="盘点 (每个单位每个批次每个盘点日一行): 实盘数与盘点日日终账面结存及差异",
    sql=f"""select
    c.count_key,
    c.unit_id,
    c.unit_name,
    c.unit_type,
    c.region_code,
    {UNIT_REGION_SELECT},
    c.count_date,
    c.batch_id,
    c.batch_no,
    c.expiry_date,
    c.spec_name,
    c.vaccine_code,
    c.vaccine_name,
    c.manufacturer_code,
    c.doses_per_unit,
    c.has_count_record,
    c.counted_quantity,
    c.book_quantity,
    c.discrepancy_quantity,
    c.counted_dose_quantity,
    c.book_dose_quantity,
    c.discrepancy_dose_quantity,
    c.has_discrepancy,
    case
        when c.discrepancy_quantity > 0 then '盘盈'
        when c.discrepancy_quantity < 0 and not c.has_count_record then '盘亏(未盘到)'
        when c.discrepancy_quantity < 0 then '盘亏'
        else '账实相符'
    end as discrepancy_status_name,
    c.remarks
from marts.fct_stock_counts as c
{unit_join("c.unit_id")}""",
    label_models=("fct_stock_counts",),
    labels=labels_with_regions(unit_id="单位编码", unit_name="单位", discrepancy_status_name="盘点结果"),
    metrics=(
        Metric("count_lines", "count(*)", "盘点批次行数", ",d"),
        Metric("discrepancy_lines", "count(*) filter (where has_discrepancy)", "差异批次行数", ",d"),
        Metric("discrepancy_line_share", ratio_of_sums("case when has_discrepancy then 1 else 0 end", "1"),
               "差异批次占比", ".1%"),
        Metric("counted_doses", "sum(counted_dose_quantity)", "实盘数(人份)", ",d"),
        Metric("book_doses", "sum(book_dose_quantity)", "账面数(人份)", ",d"),
        Metric("discrepancy_doses", "sum(discrepancy_dose_quantity)", "盘点差异(人份)", ",d"),
        Metric("discrepancy_abs_doses", "sum(abs(discrepancy_dose_quantity))", "盘点差异绝对值(人份)", ",d"),
        Metric("discrepancy_rate", ratio_of_sums("abs(discrepancy_dose_quantity)", "book_dose_quantity"),
               "盘点差异率(差异绝对值 ÷ 账面)", ".2%"),
    ),
    time_column="count_date",
    region_columns=STOCK_REGION_COLUMNS,
    vaccine_column="vaccine_code",
)

PERIOD_TYPE_NAMES = {"month": "月计划", "quarter": "季度计划", "year": "年度计划"}

PLAN_SUMMARY = Dataset(
    name="plan_summary",
    schema="marts",
    description="计划汇总 (每个上级单位每个计划期每种疫苗一行): 下级上报数量、上级调整、审批数量、计划状态",
    sql=f"""select
    p.parent_unit_id as unit_id,
    u.unit_name,
    p.region_code,
    {UNIT_REGION_SELECT},
    p.period_type,
    case p.period_type {" ".join(f"when '{k}' then '{v}'" for k, v in PERIOD_TYPE_NAMES.items())}
        else p.period_type end as period_type_name,
    p.period_start,
    p.period_end,
    p.period_label,
    p.vaccine_code,
    p.vaccine_name,
    p.is_nip,
    p.child_count,
    p.plan_count,
    p.planned_quantity,
    p.adjusted_plan_count,
    p.adjusted_from_quantity,
    p.adjusted_to_quantity,
    p.adjustment_quantity,
    p.approved_quantity,
    p.adjust_reasons,
    p.submitted_count,
    p.approved_count,
    p.issued_count,
    p.last_submitted_at
from marts.rpt_plan_summary as p
{unit_join("p.parent_unit_id")}""",
    label_models=("rpt_plan_summary",),
    labels=labels_with_regions(unit_id="汇总单位编码", unit_name="汇总单位", period_type_name="计划类型"),
    metrics=(
        Metric("plan_count", "sum(plan_count)", "计划条数", ",d"),
        Metric("planned_quantity", "sum(planned_quantity)", "上报数量(人份)", ",d"),
        Metric("approved_quantity", "sum(approved_quantity)", "审批数量(人份)", ",d"),
        Metric("adjustment_quantity", "sum(adjustment_quantity)", "调整增减(人份)", ",d"),
        Metric("adjusted_plan_count", "sum(adjusted_plan_count)", "调整条数", ",d"),
        Metric("adjusted_share", ratio_of_sums("adjusted_plan_count", "plan_count"), "调整计划占比", ".1%"),
        Metric("approved_share", ratio_of_sums("approved_quantity", "planned_quantity"),
               "审批数量 ÷ 上报数量", ".1%"),
        Metric("pending_count", "sum(submitted_count)", "待审批条数", ",d"),
        Metric("issued_count", "sum(issued_count)", "已下发条数", ",d"),
        Metric("issued_share", ratio_of_sums("issued_count", "plan_count"), "已下发计划占比", ".1%"),
    ),
    time_column="period_start",
    region_columns=STOCK_REGION_COLUMNS,
    vaccine_column="vaccine_code",
)

DATASETS = [INDICATORS, COUNTS, PLAN_SUMMARY]

DASHBOARD = Dashboard(
    slug="stock-indicators",
    title="库存指标、盘点与计划",
    description="库存指标(缺货天数与缺货率、未开启损耗率、期末库存与可供月数、近效期与过期库存)、"
                "盘点(实盘与账面、盘盈盘亏)、计划汇总(下级上报、上级调整、审批与下发);"
                "狂犬病、出血热疫苗专项账号只看到本疫苗。",
    reports=("库存指标", "盘点(实盘与账面)", "计划汇总"),
    order=61,
    rows=(
        (
            Chart("stockout-rate", "缺货率", "stock_indicators", "big_number", ("stockout_rate",), width=3,
                  description="接种单位·月中出现缺货(日终库存 ≤ 0)的比例"),
            Chart("wastage-rate", "未开启损耗率", "stock_indicators", "big_number", ("wastage_rate",), width=3),
            Chart("months-of-cover", "库存可供月数(最近月)", "stock_indicators", "big_number",
                  ("months_of_cover_latest",), width=3),
            Chart("expired-latest", "过期库存(人份, 最近月)", "stock_indicators", "big_number",
                  ("expired_latest",), width=3),
        ),
        (
            Chart("stockout-by-month", "逐月缺货率与缺货天数占比", "stock_indicators", "line",
                  ("stockout_rate", "stockout_day_share"), ("month_start",), width=6),
            Chart("stockout-by-city", "各市缺货率", "stock_indicators", "bar", ("stockout_rate",),
                  ("unit_city_name",), width=6),
        ),
        (
            Chart("indicators-by-vaccine", "库存指标(各县区、疫苗)", "stock_indicators", "table",
                  ("stockout_unit_months", "stockout_days", "stockout_rate", "used_doses", "scrapped_doses",
                   "wastage_rate", "closing_doses_latest", "months_of_cover_latest", "expiring_soon_latest",
                   "expired_latest"),
                  ("unit_city_name", "unit_county_name", "vaccine_name"), width=12, height=60),
        ),
        (
            Chart("count-discrepancy-rate", "盘点差异率", "stock_counts", "big_number", ("discrepancy_rate",),
                  width=3),
            Chart("count-discrepancy-lines", "盘点差异批次", "stock_counts", "big_number",
                  ("discrepancy_lines",), width=3),
            Chart("counts-by-month", "逐月实盘与账面(人份)", "stock_counts", "line",
                  ("counted_doses", "book_doses"), ("count_date",), width=6),
        ),
        (
            Chart("counts-by-county", "盘点结果(各县区)", "stock_counts", "table",
                  ("count_lines", "discrepancy_lines", "discrepancy_line_share", "counted_doses", "book_doses",
                   "discrepancy_doses", "discrepancy_abs_doses", "discrepancy_rate"),
                  ("unit_city_name", "unit_county_name", "discrepancy_status_name"), width=12, height=60),
        ),
        (
            Chart("count-detail", "盘点明细", "stock_counts", "detail",
                  columns=("count_date", "unit_city_name", "unit_county_name", "unit_name", "unit_id",
                           "vaccine_name", "batch_no", "expiry_date", "counted_quantity", "book_quantity",
                           "discrepancy_quantity", "discrepancy_status_name", "remarks"),
                  row_limit=500, width=12, height=70),
        ),
        (
            Chart("plans-approved", "审批数量(人份)", "plan_summary", "big_number", ("approved_quantity",),
                  width=3),
            Chart("plans-adjusted", "调整计划占比", "plan_summary", "big_number", ("adjusted_share",), width=3),
            Chart("plans-issued", "已下发计划占比", "plan_summary", "big_number", ("issued_share",), width=3),
            Chart("plans-pending", "待审批条数", "plan_summary", "big_number", ("pending_count",), width=3),
        ),
        (
            Chart("plan-summary", "计划汇总(各汇总单位、计划期、疫苗)", "plan_summary", "table",
                  ("plan_count", "planned_quantity", "adjusted_plan_count", "adjustment_quantity",
                   "approved_quantity", "approved_share", "pending_count", "issued_count"),
                  ("period_type_name", "period_label", "unit_county_name", "unit_name", "vaccine_name"),
                  width=12, height=70),
        ),
    ),
    filters=(
        *region_filters("stock_indicators", prefix="stock-ind-region"),
        NativeFilter("date", "统计月份 / 盘点日期 / 计划期", "time"),
        NativeFilter("vaccine", "疫苗", "select", "stock_indicators", "vaccine_name"),
        NativeFilter("period-type", "计划类型", "select", "plan_summary", "period_type_name"),
    ),
)
