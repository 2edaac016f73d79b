{{ current_state_config('log_id') }}
with source as (

    {{ current_version(source('ops', 'operation_log'), 'log_id') }}

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
