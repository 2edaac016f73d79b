-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    unit_id,
    unit_name,
    unit_type,
    township_code,
    county_code,
    parent_unit_id,
    is_active,
    created_at,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'unit') }}
where _is_current
