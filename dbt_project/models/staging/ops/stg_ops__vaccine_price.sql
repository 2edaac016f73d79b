with source as (

    {{ current_rows(source('ops', 'vaccine_price')) }}

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
