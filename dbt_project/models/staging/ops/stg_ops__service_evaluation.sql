with source as (

    {{ current_rows(source('ops', 'service_evaluation')) }}

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
    from source

)

select * from final
