with source as (

    select * from {{ source('ops', 'register_change') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by change_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

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
    from ranked
    where version_rank = 1

)

select * from final
