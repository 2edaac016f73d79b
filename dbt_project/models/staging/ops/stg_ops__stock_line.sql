with source as (

    select * from {{ source('ops', 'stock_line') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by line_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

),

final as (

    select
        line_id,
        doc_id,
        batch_id,
        quantity,
        dose_quantity,
        updated_at,
        _load_id,
        _loaded_at
    from ranked
    where version_rank = 1

)

select * from final
