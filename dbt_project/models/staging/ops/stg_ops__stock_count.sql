with source as (

    {{ latest_version(source('ops', 'stock_count'), 'count_id') }}

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
