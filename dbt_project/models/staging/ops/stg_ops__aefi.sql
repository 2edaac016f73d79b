-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    aefi_id,
    recipient_id,
    vaccination_id,
    unit_id,
    onset_at,
    reported_at,
    aefi_code,
    is_serious,
    outcome,
    is_deleted,
    created_at,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'aefi') }}
where _is_current
