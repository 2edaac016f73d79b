with source as (

    select * from {{ source('ops', 'fee_config') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by fee_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

),

final as (

    select
        fee_id,
        fee_type,
        unit_level,
        fee_per_dose,
        effective_from,
        effective_to,
        updated_at,
        _load_id,
        _loaded_at
    from ranked
    where version_rank = 1

)

select * from final
