{{ current_state_config('count_id') }}
with source as (

    {{ current_version(source('ops', 'stock_count'), 'count_id') }}

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
