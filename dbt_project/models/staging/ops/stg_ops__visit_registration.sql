{{ current_state_config('registration_id', also_indexed=[['visit_date', 'unit_id']]) }}
with source as (

    {{ current_version(source('ops', 'visit_registration'), 'registration_id') }}

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
