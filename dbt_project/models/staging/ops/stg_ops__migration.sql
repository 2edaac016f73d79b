with source as (

    select * from {{ source('ops', 'migration') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by migration_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

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
    from ranked
    where version_rank = 1

)

select * from final
