with source as (

    select * from {{ source('ops', 'recipient') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by recipient_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

),

final as (

    select
        recipient_id,
        recipient_name,
        sex,
        birth_at,
        birth_weight,
        id_number,
        mother_name,
        mother_hbsag,
        household_township_code,
        residence_township_code,
        is_local,
        managing_unit_id,
        register_status,
        is_deleted,
        created_at,
        updated_at,
        _load_id,
        _loaded_at
    from ranked
    where version_rank = 1

)

select * from final
