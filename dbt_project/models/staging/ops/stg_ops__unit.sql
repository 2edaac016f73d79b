with source as (

    select * from {{ source('ops', 'unit') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by unit_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

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
    from ranked
    where version_rank = 1

)

select * from final
