with source as (

    {{ current_rows(source('ops', 'vaccination')) }}

),

final as (

    select
        vaccination_id,
        recipient_id,
        vaccine_code,
        dose_no,
        vaccinated_at,
        unit_id,
        vaccinator_id,
        manufacturer_code,
        batch_no,
        expiry_date,
        site_code,
        route_code,
        vacc_property,
        is_free,
        entered_at,
        uploaded_at,
        is_deleted,
        created_at,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
