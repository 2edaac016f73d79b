-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    spec_id,
    vaccine_code,
    manufacturer_code,
    spec_name,
    dose_volume_ml,
    doses_per_unit,
    package_unit,
    is_nip,
    drug_id_code,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'product_spec') }}
where _is_current
