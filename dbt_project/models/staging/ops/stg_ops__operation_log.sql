with source as (

    {{ current_rows(source('ops', 'operation_log')) }}

),

final as (

    select
        log_id,
        recipient_id,
        unit_id,
        operator_id,
        operated_at,
        table_name,
        row_key,
        operation,
        changed_columns,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
