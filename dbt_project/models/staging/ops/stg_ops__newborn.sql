-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    newborn_id,
    obstetric_unit_id,
    newborn_name,
    sex,
    birth_at,
    birth_weight,
    mother_name,
    mother_id_number,
    mother_hbsag,
    is_hepb1_given,
    hepb1_at,
    hepb1_reason,
    is_bcg_given,
    bcg_at,
    bcg_reason,
    is_hbig_given,
    hbig_at,
    household_township_code,
    residence_township_code,
    recipient_id,
    is_deleted,
    created_at,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'newborn') }}
where _is_current
