{{ current_state_config('price_id') }}
with source as (

    {{ current_version(source('ops', 'vaccine_price'), 'price_id') }}

),

final as (

    select
        price_id,
        spec_id,
        unit_price,
        effective_from,
        effective_to,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
