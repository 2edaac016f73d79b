with source as (

    {{ current_rows(source('ops', 'vaccine_batch')) }}

),

final as (

    select
        batch_id,
        spec_id,
        batch_no,
        production_date,
        expiry_date,
        lot_release_no,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
