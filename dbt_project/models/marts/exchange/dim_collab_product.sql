-- 疫苗产品 from the collaborative platform's basic-information subsets, with manufacturer and vaccine names.
with items as (

    select * from {{ ref('stg_collab__item') }}

),

vaccines as (

    select * from {{ ref('stg_ops__vaccine') }}

),

products as (

    select
        item_key as product_code,
        payload ->> 'vaccine_code' as vaccine_code,
        payload ->> 'product_name' as product_name,
        payload ->> 'manufacturer_code' as manufacturer_code,
        (payload ->> 'is_nip')::boolean as is_nip,
        item_version,
        received_at
    from items
    where item_type = 'product'

),

manufacturers as (

    select
        item_key as manufacturer_code,
        payload ->> 'manufacturer_name' as manufacturer_name
    from items
    where item_type = 'manufacturer'

),

final as (

    select
        products.product_code,
        products.product_name,
        products.vaccine_code,
        vaccines.vaccine_name,
        products.manufacturer_code,
        manufacturers.manufacturer_name,
        products.is_nip,
        products.item_version,
        products.received_at
    from products
    left join manufacturers
        on products.manufacturer_code = manufacturers.manufacturer_code
    left join vaccines
        on products.vaccine_code = vaccines.vaccine_code

)

select * from final
