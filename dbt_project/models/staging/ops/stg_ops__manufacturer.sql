with source as (

    {{ current_rows(source('ops', 'manufacturer')) }}

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
