-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    price_id,
    spec_id,
    unit_price,
    effective_from,
    effective_to,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'vaccine_price') }}
where _is_current
