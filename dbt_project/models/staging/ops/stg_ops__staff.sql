with source as (

    select * from {{ source('ops', 'staff') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by staff_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

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
    from ranked
    where version_rank = 1

)

select * from final
