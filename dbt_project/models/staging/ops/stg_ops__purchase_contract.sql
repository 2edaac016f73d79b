-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    contract_id,
    contract_no,
    contract_year,
    spec_id,
    contracted_quantity,
    unit_price,
    signed_date,
    due_date,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'purchase_contract') }}
where _is_current
