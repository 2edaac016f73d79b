with source as (

    {{ current_rows(source('ops', 'stock_line')) }}

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
    from source

)

select * from final
