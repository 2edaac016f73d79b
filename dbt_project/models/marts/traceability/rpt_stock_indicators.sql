{{ config(
    materialized='view',
    post_hook=[access_scoped_view()],
) }}

-- 库存指标 (DHIS2 / WHO stock indicators) per unit × vaccine × month, in 人份, for the last
-- var stock_indicator_history_months months up to the evaluation month (that month up to the evaluation date).
-- Definitions: docs/reports/stock_indicators.md. A view: the stored part is int_stock_indicator_months
-- (incremental by unit × vaccine from a month on); the stocktake columns come from int_stock_count_months.
-- Scoped by its own where clause (macro access_scoped_view_filter, docs/access.md).
with indicator_months as (

    select * from {{ ref('int_stock_indicator_months') }}

),

count_months as (

    select * from {{ ref('int_stock_count_months') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

vaccines as (

    select * from {{ ref('stg_ops__vaccine') }}

),

unit_counts as (

    select distinct
        unit_id,
        month_start,
        count_date
    from count_months

),

joined as (

    select
        indicator_months.*,
        indicator_months.month_end - indicator_months.month_start + 1 as days_in_period,
        unit_counts.count_date,
        count_months.counted_doses,
        count_months.book_doses,
        count_months.discrepancy_doses,
        count_months.discrepancy_abs_doses,
        count_months.discrepancy_batches
    from indicator_months
    left join unit_counts
        on
            indicator_months.unit_id = unit_counts.unit_id
            and indicator_months.month_start = unit_counts.month_start
    left join count_months
        on
            indicator_months.unit_id = count_months.unit_id
            and indicator_months.vaccine_code = count_months.vaccine_code
            and indicator_months.month_start = count_months.month_start

),

final as (

    select
        joined.unit_id || '|' || joined.vaccine_code || '|' || to_char(joined.month_start, 'YYYY-MM') as indicator_key,
        joined.unit_id,
        units.unit_name,
        units.unit_type,
        units.parent_unit_id,
        {{ unit_region_code("units") }} as region_code,
        units.county_code,
        units.county_name,
        units.city_code,
        units.city_name,
        joined.vaccine_code,
        vaccines.vaccine_name,
        joined.month_start,
        joined.month_end,
        joined.days_in_period,
        joined.used_doses_window > 0 as is_vaccinating_unit,
        case when joined.used_doses_window > 0 then joined.stockout_days_any end as stockout_days,
        case when joined.used_doses_window > 0 then joined.stockout_days_any > 0 end as is_stockout,
        joined.used_doses,
        joined.issued_doses,
        joined.scrapped_doses,
        joined.scrapped_expired_doses,
        joined.scrapped_doses - joined.scrapped_expired_doses as scrapped_other_doses,
        joined.scrap_reasons,
        round(
            joined.scrapped_doses::numeric / nullif(joined.issued_doses + joined.scrapped_doses, 0), 4
        ) as closed_vial_wastage_rate,
        joined.closing_doses,
        joined.issued_doses_window,
        round(
            greatest(joined.closing_doses, 0)::numeric
            / nullif(joined.issued_doses_window::numeric / {{ var('stock_indicator_window_months') }}, 0),
            2
        ) as stock_coverage_months,
        joined.expiring_soon_doses,
        joined.expired_doses,
        joined.count_date,
        joined.count_date is not null as has_stock_count,
        case when joined.count_date is not null then coalesce(joined.counted_doses, 0) end as counted_doses,
        case when joined.count_date is not null then coalesce(joined.book_doses, 0) end as book_doses_at_count,
        case when joined.count_date is not null then coalesce(joined.discrepancy_doses, 0) end
            as count_discrepancy_doses,
        case when joined.count_date is not null then coalesce(joined.discrepancy_abs_doses, 0) end
            as count_discrepancy_abs_doses,
        case when joined.count_date is not null then coalesce(joined.discrepancy_batches, 0) end
            as count_discrepancy_batches
    from joined
    left join units
        on joined.unit_id = units.unit_id
    left join vaccines
        on joined.vaccine_code = vaccines.vaccine_code

)

select * from final
where {{ access_scoped_view_filter('region_code', 'vaccine_code') }}
