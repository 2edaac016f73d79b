-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    migration_id,
    recipient_id,
    from_unit_id,
    to_unit_id,
    initiated_at,
    initiator_id,
    migration_status,
    decided_at,
    withdrawn_at,
    reason,
    reject_reason,
    is_deleted,
    created_at,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'migration') }}
where _is_current
