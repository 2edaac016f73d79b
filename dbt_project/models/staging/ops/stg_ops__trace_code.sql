{{ current_state_config('trace_code') }}
with source as (

    {{ current_version(source('ops', 'trace_code'), 'trace_code') }}

),

final as (

    select
        trace_code,
        batch_id,
        unit_id,
        scanned_at,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
