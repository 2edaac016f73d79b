{{ config(post_hook=[access_scoped('region_code', 'vaccine_code')]) }}

-- 采购合同履约: contracted, delivered, outstanding and status per contract.
with contracts as (

    select * from {{ ref('stg_ops__purchase_contract') }}

),

deliveries as (

    select
        contract_id,
        sum(delivered_quantity) as delivered_quantity,
        count(*) as deliveries,
        max(delivery_date) as last_delivery_date
    from {{ ref('stg_ops__contract_delivery') }}
    group by contract_id

),

specs as (

    select * from {{ ref('stg_ops__product_spec') }}

),

vaccines as (

    select * from {{ ref('stg_ops__vaccine') }}

),

final as (

    select
        contracts.contract_id,
        contracts.contract_no,
        contracts.contract_year,
        contracts.spec_id,
        specs.spec_name,
        specs.vaccine_code,
        vaccines.vaccine_name,
        specs.manufacturer_code,
        '610000' as region_code,
        '{{ var("province_cdc_unit_id") }}' as unit_id,
        contracts.contracted_quantity,
        coalesce(deliveries.delivered_quantity, 0) as delivered_quantity,
        greatest(contracts.contracted_quantity - coalesce(deliveries.delivered_quantity, 0), 0)
            as outstanding_quantity,
        round(coalesce(deliveries.delivered_quantity, 0)::numeric / nullif(contracts.contracted_quantity, 0), 4)
            as fulfilment_rate,
        coalesce(deliveries.deliveries, 0) as deliveries,
        deliveries.last_delivery_date,
        contracts.signed_date,
        contracts.due_date,
        case
            when coalesce(deliveries.delivered_quantity, 0) >= contracts.contracted_quantity then '已履约'
            when contracts.due_date < {{ evaluation_date() }} then '逾期未完成'
            when coalesce(deliveries.delivered_quantity, 0) = 0 then '未到货'
            else '履约中'
        end as status
    from contracts
    left join deliveries
        on contracts.contract_id = deliveries.contract_id
    left join specs
        on contracts.spec_id = specs.spec_id
    left join vaccines
        on specs.vaccine_code = vaccines.vaccine_code

)

select * from final
