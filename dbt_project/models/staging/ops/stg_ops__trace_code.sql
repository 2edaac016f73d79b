-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    trace_code,
    batch_id,
    unit_id,
    scanned_at,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'trace_code') }}
where _is_current
