with source as (

    select * from {{ source('ops', 'manufacturer') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by manufacturer_code
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

),

final as (

    select
        manufacturer_code,
        manufacturer_name,
        updated_at,
        _load_id,
        _loaded_at
    from ranked
    where version_rank = 1

)

select * from final
