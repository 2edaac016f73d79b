with source as (

    {{ current_rows(source('ops', 'unit')) }}

),

final as (

    select
        unit_id,
        unit_name,
        unit_type,
        township_code,
        county_code,
        parent_unit_id,
        is_active,
        created_at,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
