with source as (

    select * from {{ source('ops', 'observation') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by observation_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

),

final as (

    select
        observation_id,
        recipient_id,
        unit_id,
        visit_date,
        obs_start_at,
        obs_end_at,
        has_aefi,
        is_deleted,
        created_at,
        updated_at,
        _load_id,
        _loaded_at
    from ranked
    where version_rank = 1

)

select * from final
