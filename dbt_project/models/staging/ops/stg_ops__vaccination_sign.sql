with source as (

    select * from {{ source('ops', 'vaccination_sign') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by sign_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

),

final as (

    select
        sign_id,
        vaccination_id,
        signed_at,
        signer_type,
        is_deleted,
        created_at,
        updated_at,
        _load_id,
        _loaded_at
    from ranked
    where version_rank = 1

)

select * from final
