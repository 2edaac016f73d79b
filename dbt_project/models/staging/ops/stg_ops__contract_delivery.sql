with source as (

    {{ current_rows(source('ops', 'contract_delivery')) }}

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
