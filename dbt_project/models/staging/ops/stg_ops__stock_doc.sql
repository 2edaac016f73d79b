-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    doc_id,
    doc_no,
    doc_type,
    unit_id,
    doc_date,
    counterparty_unit_id,
    counterparty_name,
    handler,
    reason,
    is_deleted,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'stock_doc') }}
where _is_current
