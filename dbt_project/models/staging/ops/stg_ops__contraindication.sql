with source as (

    {{ current_rows(source('ops', 'contraindication')) }}

),

final as (

    select
        contraindication_id,
        recipient_id,
        unit_id,
        contraindication_code,
        vaccine_code,
        recorded_at,
        valid_until,
        is_deleted,
        created_at,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
