{{ current_state_config('observation_id', also_indexed=[['visit_date', 'unit_id']]) }}
with source as (

    {{ current_version(source('ops', 'observation'), 'observation_id') }}

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
