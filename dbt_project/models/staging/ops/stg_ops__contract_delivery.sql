-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    delivery_id,
    contract_id,
    doc_id,
    delivered_quantity,
    delivery_date,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'contract_delivery') }}
where _is_current
