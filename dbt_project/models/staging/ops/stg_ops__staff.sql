with source as (

    {{ current_rows(source('ops', 'staff')) }}

),

final as (

    select
        staff_id,
        unit_id,
        staff_name,
        id_number,
        sex,
        staff_role,
        is_deleted,
        created_at,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
