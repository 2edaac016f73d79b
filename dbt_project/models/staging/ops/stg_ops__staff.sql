{{ current_state_config('staff_id') }}
with source as (

    {{ current_version(source('ops', 'staff'), 'staff_id') }}

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
