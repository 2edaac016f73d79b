with source as (

    select * from {{ source('ops', 'visit_registration') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by registration_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

),

final as (

    select
        registration_id,
        recipient_id,
        unit_id,
        visit_date,
        registered_at,
        registrar_id,
        signed_at,
        is_deleted,
        created_at,
        updated_at,
        _load_id,
        _loaded_at
    from ranked
    where version_rank = 1

)

select * from final
