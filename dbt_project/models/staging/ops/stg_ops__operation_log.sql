-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    log_id,
    recipient_id,
    unit_id,
    operator_id,
    operated_at,
    table_name,
    row_key,
    operation,
    changed_columns,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'operation_log') }}
where _is_current
