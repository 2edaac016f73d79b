{{ config(post_hook=[access_scoped('region_code', 'vaccine_code')]) }}

-- 疫苗价格统一维护: one price table with history for NIP and non-NIP specifications.
with prices as (

    select * from {{ ref('stg_ops__vaccine_price') }}

),

specs as (

    select * from {{ ref('stg_ops__product_spec') }}

),

vaccines as (

    select * from {{ ref('stg_ops__vaccine') }}

),

final as (

    select
        prices.price_id,
        prices.spec_id,
        specs.spec_name,
        specs.vaccine_code,
        vaccines.vaccine_name,
        specs.manufacturer_code,
        specs.is_nip,
        '610000' as region_code,
        prices.unit_price,
        prices.effective_from,
        prices.effective_to,
        prices.effective_to is null as is_current
    from prices
    left join specs
        on prices.spec_id = specs.spec_id
    left join vaccines
        on specs.vaccine_code = vaccines.vaccine_code

)

select * from final
