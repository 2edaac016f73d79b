with source as (

    select * from {{ source('ops', 'contraindication') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by contraindication_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

),

final as (

    select
        contraindication_id,
        recipient_id,
        unit_id,
        contraindication_code,
        vaccine_code,
        recorded_at,
        valid_until,
        is_deleted,
        created_at,
        updated_at,
        _load_id,
        _loaded_at
    from ranked
    where version_rank = 1

)

select * from final
