-- 产品规格 (doses per package unit, dose volume) from the collaborative platform.
with items as (

    select * from {{ ref('stg_collab__item') }}

),

final as (

    select
        item_key as spec_code,
        payload ->> 'product_code' as product_code,
        (payload ->> 'doses_per_unit')::integer as doses_per_unit,
        (payload ->> 'dose_ml')::numeric as dose_ml,
        payload ->> 'package_unit' as package_unit,
        item_version,
        received_at
    from items
    where item_type = 'specification'

)

select * from final
