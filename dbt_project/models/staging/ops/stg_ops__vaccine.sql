{{ current_state_config('vaccine_code') }}
with source as (

    {{ current_version(source('ops', 'vaccine'), 'vaccine_code') }}

),

final as (

    select
        vaccine_code,
        vaccine_name,
        vaccine_abbr,
        category_code,
        is_nip,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
