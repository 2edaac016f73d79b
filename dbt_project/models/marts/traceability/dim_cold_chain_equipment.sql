{{ config(post_hook=[access_scoped('region_code', 'null::text')]) }}

-- 冷链设备档案: scoped by region only (no vaccine: vaccine-scoped accounts do not see it).
with equipment as (

    select * from {{ ref('stg_ops__cold_chain_equipment') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

final as (

    select
        equipment.equipment_id,
        equipment.unit_id,
        units.unit_name,
        {{ unit_region_code("units") }} as region_code,
        units.county_name,
        units.city_name,
        equipment.equipment_type,
        equipment.brand,
        equipment.model,
        equipment.volume_l,
        equipment.purchase_date,
        equipment.funding_source,
        equipment.in_use_date,
        equipment.location,
        equipment.status,
        equipment.scrapped_date,
        equipment.maintenance_notes,
        equipment.probe_id
    from equipment
    left join units
        on equipment.unit_id = units.unit_id

)

select * from final
