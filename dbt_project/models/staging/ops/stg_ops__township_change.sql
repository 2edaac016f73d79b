-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    change_id,
    old_code,
    new_code,
    change_type,
    effective_date,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'township_change') }}
where _is_current
