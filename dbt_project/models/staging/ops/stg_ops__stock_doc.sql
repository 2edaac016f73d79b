{{ current_state_config('doc_id', also_indexed=['unit_id']) }}
with source as (

    {{ current_version(source('ops', 'stock_doc'), 'doc_id') }}

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
