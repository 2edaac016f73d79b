with source as (

    {{ current_rows(source('ops', 'vaccine_plan')) }}

),

final as (

    select
        plan_id,
        unit_id,
        parent_unit_id,
        period_type,
        period_start,
        vaccine_code,
        is_nip,
        planned_quantity,
        adjusted_quantity,
        adjust_reason,
        status,
        submitted_at,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
