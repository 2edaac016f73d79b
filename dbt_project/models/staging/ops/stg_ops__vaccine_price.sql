with source as (

    select * from {{ source('ops', 'vaccine_price') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by price_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

),

final as (

    select
        price_id,
        spec_id,
        unit_price,
        effective_from,
        effective_to,
        updated_at,
        _load_id,
        _loaded_at
    from ranked
    where version_rank = 1

)

select * from final
