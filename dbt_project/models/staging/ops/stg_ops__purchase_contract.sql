with source as (

    {{ current_rows(source('ops', 'purchase_contract')) }}

),

final as (

    select
        contract_id,
        contract_no,
        contract_year,
        spec_id,
        contracted_quantity,
        unit_price,
        signed_date,
        due_date,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
