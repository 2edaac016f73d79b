-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    count_id,
    unit_id,
    batch_id,
    count_date,
    counted_quantity,
    counted_by,
    remarks,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'stock_count') }}
where _is_current
