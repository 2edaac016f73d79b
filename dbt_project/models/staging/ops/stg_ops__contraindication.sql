-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    contraindication_id,
    recipient_id,
    unit_id,
    contraindication_code,
    vaccine_code,
    recorded_at,
    valid_until,
    is_deleted,
    created_at,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'contraindication') }}
where _is_current
