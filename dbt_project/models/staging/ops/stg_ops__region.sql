with source as (

    {{ current_rows(source('ops', 'region')) }}

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
