-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    line_id,
    doc_id,
    batch_id,
    quantity,
    dose_quantity,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'stock_line') }}
where _is_current
