-- 疫苗批次 (batch, expiry, lot release) from the collaborative platform, with the product's vaccine.
with items as (

    select * from {{ ref('stg_collab__item') }}

),

products as (

    select * from {{ ref('dim_collab_product') }}

),

batches as (

    select
        item_key as batch_key,
        payload ->> 'product_code' as product_code,
        payload ->> 'batch_no' as batch_no,
        payload ->> 'manufacturer_code' as manufacturer_code,
        (payload ->> 'expiry_date')::date as expiry_date,
        payload ->> 'lot_release_no' as lot_release_no,
        item_version,
        received_at
    from items
    where item_type = 'batch'

),

final as (

    select
        batches.batch_key,
        batches.product_code,
        batches.batch_no,
        batches.manufacturer_code,
        products.vaccine_code,
        products.product_name,
        batches.expiry_date,
        batches.lot_release_no,
        batches.item_version,
        batches.received_at
    from batches
    left join products
        on batches.product_code = products.product_code

)

select * from final
