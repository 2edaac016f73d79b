with source as (

    {{ current_rows(source('ops', 'township_change')) }}

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
