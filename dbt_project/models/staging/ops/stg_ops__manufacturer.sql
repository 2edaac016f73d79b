-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    manufacturer_code,
    manufacturer_name,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'manufacturer') }}
where _is_current
