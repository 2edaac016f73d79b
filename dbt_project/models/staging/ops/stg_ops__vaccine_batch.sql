with source as (

    select * from {{ source('ops', 'vaccine_batch') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by batch_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

),

final as (

    select
        batch_id,
        spec_id,
        batch_no,
        production_date,
        expiry_date,
        lot_release_no,
        updated_at,
        _load_id,
        _loaded_at
    from ranked
    where version_rank = 1

)

select * from final
