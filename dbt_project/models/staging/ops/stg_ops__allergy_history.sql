with source as (

    select * from {{ source('ops', 'allergy_history') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by allergy_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

),

final as (

    select
        allergy_id,
        recipient_id,
        unit_id,
        allergen_code,
        reaction,
        recorded_at,
        is_deleted,
        created_at,
        updated_at,
        _load_id,
        _loaded_at
    from ranked
    where version_rank = 1

)

select * from final
