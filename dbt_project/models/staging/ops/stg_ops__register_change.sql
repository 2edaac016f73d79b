with source as (

    {{ current_rows(source('ops', 'register_change')) }}

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
