{{ config(materialized='view') }}
-- 接种率监测 月报 (DOMAIN §2.2): per month x managing unit x scheduled dose, 应种 (including the +1
-- cases), 实种 and the +1/+1 count. Coverage = 实种 / 应种; sums over months give the cumulative
-- figures. Region: the child's managing unit, as of the evaluation date. A view: the counts are stored in
-- int_coverage_monthly_cells (incremental, macros coverage_monthly.sql), the names and regions joined here.
with cells as (

    select * from {{ ref('int_coverage_monthly_cells') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

final as (

    select
        {{ surrogate_key(['cells.month_start', 'cells.managing_unit_id', 'cells.category_code', 'cells.dose_no']) }}
            as cell_id,
        cells.month_start,
        cells.managing_unit_id,
        units.unit_name as managing_unit_name,
        units.township_code,
        units.county_code,
        units.city_code,
        units.province_code,
        cells.category_code,
        cells.category_name,
        cells.dose_no,
        cells.due,
        cells.given,
        cells.plus_one
    from cells
    left join units
        on cells.managing_unit_id = units.unit_id

)

select * from final
