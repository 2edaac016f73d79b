with source as (

    select * from {{ source('ops', 'trace_code') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by trace_code
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

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
    from ranked
    where version_rank = 1

)

select * from final
