with source as (

    {{ current_rows(source('ops', 'infection_history')) }}

),

final as (

    select
        infection_id,
        recipient_id,
        unit_id,
        disease_code,
        diagnosed_date,
        recorded_at,
        is_deleted,
        created_at,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
