with source as (

    select * from {{ source('ops', 'vaccination') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by vaccination_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

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
    from ranked
    where version_rank = 1

)

select * from final
