with source as (

    select * from {{ source('ops', 'region') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by region_code
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

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
    from ranked
    where version_rank = 1

)

select * from final
