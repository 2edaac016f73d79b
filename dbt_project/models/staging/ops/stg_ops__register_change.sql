-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    change_id,
    recipient_id,
    unit_id,
    previous_status,
    new_status,
    changed_at,
    reason,
    is_deleted,
    created_at,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'register_change') }}
where _is_current
