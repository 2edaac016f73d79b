with source as (

    {{ current_rows(source('ops', 'allergy_history')) }}

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
    from source

)

select * from final
