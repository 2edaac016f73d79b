{{ config(post_hook=[access_scoped('region_code', 'vaccine_code')]) }}

-- 实时库存: stock of every unit and batch after all movements up to the evaluation date.
with movements as (

    select * from {{ ref('fct_stock_movements') }}
    where doc_date <= {{ evaluation_date() }}

),

final as (

    select
        unit_id,
        max(unit_name) as unit_name,
        max(unit_type) as unit_type,
        max(parent_unit_id) as parent_unit_id,
        max(region_code) as region_code,
        max(county_code) as county_code,
        max(city_code) as city_code,
        batch_id,
        max(spec_id) as spec_id,
        max(spec_name) as spec_name,
        max(vaccine_code) as vaccine_code,
        max(vaccine_name) as vaccine_name,
        max(manufacturer_code) as manufacturer_code,
        max(manufacturer_name) as manufacturer_name,
        max(batch_no) as batch_no,
        max(expiry_date) as expiry_date,
        max(lot_release_no) as lot_release_no,
        bool_or(is_nip) as is_nip,
        sum(signed_quantity) as stock_quantity,
        sum(signed_dose_quantity) as stock_dose_quantity,
        min(balance_after) as min_balance,
        max(doc_date) as last_movement_date,
        max(expiry_date) < {{ evaluation_date() }} as is_expired,
        max(expiry_date) between {{ evaluation_date() }}
        and {{ evaluation_date() }} + {{ var('expiring_soon_days') }} as is_expiring_soon,
        min(balance_after) < 0 as has_negative_balance
    from movements
    group by unit_id, batch_id

)

select * from final
