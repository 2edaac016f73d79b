-- Units placed in the region hierarchy: unit -> township (resolved to its current code) -> county
-- -> city -> province. Without a township, the unit's county code places it.
with units as (

    select * from {{ ref('stg_ops__unit') }}

),

resolved_townships as (

    select * from {{ ref('int_township_codes_resolved') }}

),

regions as (

    select * from {{ ref('int_regions_placed_in_hierarchy') }}

),

units_with_township as (

    select
        units.*,
        coalesce(resolved_townships.resolved_township_code, units.township_code) as resolved_township_code,
        coalesce(resolved_townships.is_split_resolved, false) as is_township_split_resolved
    from units
    left join resolved_townships
        on units.township_code = resolved_townships.township_code

),

final as (

    select
        units_with_township.unit_id,
        units_with_township.unit_name,
        units_with_township.unit_type,
        units_with_township.parent_unit_id,
        units_with_township.is_active,
        units_with_township.township_code as recorded_township_code,
        units_with_township.county_code as recorded_county_code,
        townships.township_code,
        townships.township_name,
        coalesce(townships.county_code, counties.county_code) as county_code,
        coalesce(townships.county_name, counties.county_name) as county_name,
        coalesce(townships.city_code, counties.city_code) as city_code,
        coalesce(townships.city_name, counties.city_name) as city_name,
        coalesce(townships.province_code, counties.province_code) as province_code,
        coalesce(townships.province_name, counties.province_name) as province_name,
        units_with_township.is_township_split_resolved,
        townships.region_code is not null as is_township_known,
        units_with_township.created_at,
        units_with_township.updated_at,
        units_with_township._load_id
    from units_with_township
    left join regions as townships
        on units_with_township.resolved_township_code = townships.region_code
            and townships.region_level = 4
    left join regions as counties
        on units_with_township.county_code = counties.region_code

)

select * from final
