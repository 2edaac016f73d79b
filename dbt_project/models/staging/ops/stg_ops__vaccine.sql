-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    vaccine_code,
    vaccine_name,
    vaccine_abbr,
    category_code,
    is_nip,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'vaccine') }}
where _is_current
