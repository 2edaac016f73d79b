with source as (

    {{ current_rows(source('ops', 'vaccine')) }}

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
