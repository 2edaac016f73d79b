{{ current_state_config('region_code') }}
with source as (

    {{ current_version(source('ops', 'region'), 'region_code') }}

),

final as (

    select
        region_code,
        region_name,
        region_level,
        parent_code,
        valid_from,
        valid_to,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
