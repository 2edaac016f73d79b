with source as (

    select * from {{ source('ops', 'vaccine') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by vaccine_code
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

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
    from ranked
    where version_rank = 1

)

select * from final
