{{ config(materialized='view') }}
-- 实种及时统计表 (DOMAIN §8.1): per vaccination date x unit x vaccine, records, exclusions, entry
-- buckets, timely entries and uploads. All measures are counts of dose records and add up.
-- A view: the counts are stored in int_entry_timeliness_cells (incremental by vaccination date and unit);
-- the names and the unit's regions (as of the evaluation date) are joined here.
with cells as (

    select * from {{ ref('int_entry_timeliness_cells') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

vaccines as (

    select * from {{ ref('stg_ops__vaccine') }}

),

final as (

    select
        {{ surrogate_key(['cells.vaccination_date', 'cells.unit_id', 'cells.vaccine_code']) }} as cell_id,
        cells.vaccination_date,
        cells.unit_id,
        units.unit_name::text as unit_name,  -- text, as the aggregates of the table this view replaced
        units.township_code::text as unit_township_code,
        units.county_code::text as unit_county_code,
        units.city_code::text as unit_city_code,
        cells.vaccine_code,
        vaccines.vaccine_name::text as vaccine_name,
        cells.records,
        cells.back_entered,
        cells.entry_before_vaccination,
        cells.counted,
        cells.same_day,
        cells.within_threshold,
        cells.within_7d,
        cells.over_7d,
        cells.entry_timely,
        cells.uploaded,
        cells.upload_timely,
        {{ var('entry_timely_hours') }} as entry_timely_hours,
        {{ var('upload_timely_hours') }} as upload_timely_hours,
        {{ var('back_entry_days') }} as back_entry_days
    from cells
    left join units
        on cells.unit_id = units.unit_id
    left join vaccines
        on cells.vaccine_code = vaccines.vaccine_code

)

select * from final
