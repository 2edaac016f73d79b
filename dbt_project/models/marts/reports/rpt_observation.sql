{{ config(materialized='view') }}
-- 留观率统计表: visits, observation recorded and completed per unit and vaccination date (DOMAIN §8.3).
-- A view: the counts are stored in int_observation_cells (incremental by vaccination date and unit); the
-- unit's names and regions (as of the evaluation date) are joined here.
with cells as (

    select * from {{ ref('int_observation_cells') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

final as (

    select
        cells.unit_id,
        units.unit_name::text as unit_name,  -- text, as the aggregates of the table this view replaced
        units.county_code::text as unit_county_code,
        units.city_code::text as unit_city_code,
        cells.vaccination_date,
        cells.register_group,
        cells.visits,
        cells.visits_recorded,
        cells.visits_completed,
        cells.visits_with_aefi
    from cells
    left join units
        on cells.unit_id = units.unit_id

)

select * from final
