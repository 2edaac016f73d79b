with source as (

    {{ current_rows(source('ops', 'observation')) }}

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
    from source

)

select * from final
