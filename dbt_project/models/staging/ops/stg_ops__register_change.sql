{{ current_state_config('change_id') }}
with source as (

    {{ current_version(source('ops', 'register_change'), 'change_id') }}

),

final as (

    select
        change_id,
        recipient_id,
        unit_id,
        previous_status,
        new_status,
        changed_at,
        reason,
        is_deleted,
        created_at,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
