-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    evaluation_id,
    recipient_id,
    unit_id,
    visit_date,
    evaluated_at,
    is_active,
    rating,
    comment,
    is_deleted,
    created_at,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'service_evaluation') }}
where _is_current
