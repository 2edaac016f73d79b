{{ current_state_config('manufacturer_code') }}
with source as (

    {{ current_version(source('ops', 'manufacturer'), 'manufacturer_code') }}

),

final as (

    select
        manufacturer_code,
        manufacturer_name,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
