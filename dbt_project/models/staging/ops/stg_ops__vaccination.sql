-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
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
from {{ source('ops', 'vaccination') }}
where _is_current
