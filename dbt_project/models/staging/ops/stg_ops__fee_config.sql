with source as (

    {{ current_rows(source('ops', 'fee_config')) }}

),

final as (

    select
        fee_id,
        fee_type,
        unit_level,
        fee_per_dose,
        effective_from,
        effective_to,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
