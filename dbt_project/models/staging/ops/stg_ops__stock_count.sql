with source as (

    {{ current_rows(source('ops', 'stock_count')) }}

),

final as (

    select
        count_id,
        unit_id,
        batch_id,
        count_date,
        counted_quantity,
        counted_by,
        remarks,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
