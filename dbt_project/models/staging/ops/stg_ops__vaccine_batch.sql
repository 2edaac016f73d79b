{{ current_state_config('batch_id') }}
with source as (

    {{ current_version(source('ops', 'vaccine_batch'), 'batch_id') }}

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
