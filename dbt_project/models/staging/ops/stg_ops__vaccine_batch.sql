-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    batch_id,
    spec_id,
    batch_no,
    production_date,
    expiry_date,
    lot_release_no,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'vaccine_batch') }}
where _is_current
