with source as (

    select * from {{ source('ops', 'stock_doc') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by doc_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

),

final as (

    select
        doc_id,
        doc_no,
        doc_type,
        unit_id,
        doc_date,
        counterparty_unit_id,
        counterparty_name,
        handler,
        reason,
        is_deleted,
        updated_at,
        _load_id,
        _loaded_at
    from ranked
    where version_rank = 1

)

select * from final
