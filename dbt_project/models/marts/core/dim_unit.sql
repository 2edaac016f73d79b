{{ config(indexes=[{'columns': ['unit_id'], 'unique': True}]) }}
-- Units with their current regions. unit_id is a unique index: the views over the narrow facts join it by unit.
with units as (

    select * from {{ ref('int_units_placed_in_regions') }}

),

final as (

    select
        unit_id,
        unit_name,
        unit_type,
        parent_unit_id,
        is_active,
        recorded_township_code,
        recorded_county_code,
        township_code,
        township_name,
        county_code,
        county_name,
        city_code,
        city_name,
        province_code,
        province_name,
        is_township_known,
        is_township_split_resolved,
        created_at,
        updated_at,
        _load_id
    from units

)

select * from final
