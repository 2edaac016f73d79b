-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    registration_id,
    recipient_id,
    unit_id,
    visit_date,
    registered_at,
    registrar_id,
    signed_at,
    is_deleted,
    created_at,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'visit_registration') }}
where _is_current
