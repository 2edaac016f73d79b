{{ current_state_config('delivery_id') }}
with source as (

    {{ current_version(source('ops', 'contract_delivery'), 'delivery_id') }}

),

final as (

    select
        delivery_id,
        contract_id,
        doc_id,
        delivered_quantity,
        delivery_date,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
