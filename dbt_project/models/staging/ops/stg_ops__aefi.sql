with source as (

    {{ current_rows(source('ops', 'aefi')) }}

),

final as (

    select
        aefi_id,
        recipient_id,
        vaccination_id,
        unit_id,
        onset_at,
        reported_at,
        aefi_code,
        is_serious,
        outcome,
        is_deleted,
        created_at,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
