with source as (

    {{ current_rows(source('ops', 'migration')) }}

),

final as (

    select
        migration_id,
        recipient_id,
        from_unit_id,
        to_unit_id,
        initiated_at,
        initiator_id,
        migration_status,
        decided_at,
        withdrawn_at,
        reason,
        reject_reason,
        is_deleted,
        created_at,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
