with source as (

    {{ current_rows(source('ops', 'visit_registration')) }}

),

final as (

    select
        registration_id,
        recipient_id,
        unit_id,
        visit_date,
        registered_at,
        registrar_id,
        signed_at,
        is_deleted,
        created_at,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
