{{ current_state_config('line_id', also_indexed=['doc_id']) }}
with source as (

    {{ current_version(source('ops', 'stock_line'), 'line_id') }}

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
