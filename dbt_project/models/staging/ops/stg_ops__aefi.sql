with source as (

    select * from {{ source('ops', 'aefi') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by aefi_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

),

final as (

    select
        aefi_id,
        recipient_id,
        vaccination_id,
        unit_id,
        onset_at,
        reported_at,
        aefi_code,
        is_serious,
        outcome,
        is_deleted,
        created_at,
        updated_at,
        _load_id,
        _loaded_at
    from ranked
    where version_rank = 1

)

select * from final
