with source as (

    {{ current_rows(source('ops', 'trace_code')) }}

),

final as (

    select
        trace_code,
        batch_id,
        unit_id,
        scanned_at,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
