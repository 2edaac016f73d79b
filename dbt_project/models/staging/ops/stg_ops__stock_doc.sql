with source as (

    {{ current_rows(source('ops', 'stock_doc')) }}

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
    from source

)

select * from final
