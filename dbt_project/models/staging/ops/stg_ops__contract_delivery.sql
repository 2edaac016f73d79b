with source as (

    select * from {{ source('ops', 'contract_delivery') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by delivery_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

),

final as (

    select
        delivery_id,
        contract_id,
        doc_id,
        delivered_quantity,
        delivery_date,
        updated_at,
        _load_id,
        _loaded_at
    from ranked
    where version_rank = 1

)

select * from final
