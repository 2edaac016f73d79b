-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    region_code,
    region_name,
    region_level,
    parent_code,
    valid_from,
    valid_to,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'region') }}
where _is_current
