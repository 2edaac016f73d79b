with source as (

    select * from {{ source('ops', 'operation_log') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by log_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

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
    from ranked
    where version_rank = 1

)

select * from final
