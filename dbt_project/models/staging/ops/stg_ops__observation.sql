-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    observation_id,
    recipient_id,
    unit_id,
    visit_date,
    obs_start_at,
    obs_end_at,
    has_aefi,
    is_deleted,
    created_at,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'observation') }}
where _is_current
