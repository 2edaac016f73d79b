-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    recipient_id,
    recipient_name,
    sex,
    birth_at,
    birth_weight,
    id_number,
    mother_name,
    mother_hbsag,
    household_township_code,
    residence_township_code,
    is_local,
    managing_unit_id,
    register_status,
    is_deleted,
    created_at,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'recipient') }}
where _is_current
