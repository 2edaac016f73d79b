{{ current_state_config('change_id') }}
with source as (

    {{ current_version(source('ops', 'township_change'), 'change_id') }}

),

final as (

    select
        change_id,
        old_code,
        new_code,
        change_type,
        effective_date,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
