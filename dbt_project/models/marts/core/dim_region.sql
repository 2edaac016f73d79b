with regions as (

    select * from {{ ref('int_regions_placed_in_hierarchy') }}

),

final as (

    select
        region_code,
        region_name,
        region_level,
        browse_level,
        browse_level_name,
        parent_code,
        valid_from,
        valid_to,
        is_current,
        current_region_code,
        is_split_resolved,
        province_code,
        province_name,
        city_code,
        city_name,
        county_code,
        county_name,
        township_code,
        township_name,
        _load_id
    from regions

)

select * from final
