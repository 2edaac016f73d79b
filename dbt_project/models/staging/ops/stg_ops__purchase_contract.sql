{{ current_state_config('contract_id') }}
with source as (

    {{ current_version(source('ops', 'purchase_contract'), 'contract_id') }}

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
