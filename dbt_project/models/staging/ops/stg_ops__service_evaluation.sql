with source as (

    select * from {{ source('ops', 'service_evaluation') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by evaluation_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

),

final as (

    select
        evaluation_id,
        recipient_id,
        unit_id,
        visit_date,
        evaluated_at,
        is_active,
        rating,
        comment,
        is_deleted,
        created_at,
        updated_at,
        _load_id,
        _loaded_at
    from ranked
    where version_rank = 1

)

select * from final
