-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    infection_id,
    recipient_id,
    unit_id,
    disease_code,
    diagnosed_date,
    recorded_at,
    is_deleted,
    created_at,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'infection_history') }}
where _is_current
