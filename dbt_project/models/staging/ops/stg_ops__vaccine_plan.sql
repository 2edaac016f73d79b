-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    plan_id,
    unit_id,
    parent_unit_id,
    period_type,
    period_start,
    vaccine_code,
    is_nip,
    planned_quantity,
    adjusted_quantity,
    adjust_reason,
    status,
    submitted_at,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'vaccine_plan') }}
where _is_current
