with source as (

    select * from {{ source('ops', 'vaccine_plan') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by plan_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

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
    from ranked
    where version_rank = 1

)

select * from final
