-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    fee_id,
    fee_type,
    unit_level,
    fee_per_dose,
    effective_from,
    effective_to,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'fee_config') }}
where _is_current
