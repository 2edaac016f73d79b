-- The current version of each row, flat: a view without CTEs is merged into the query reading it, so a
-- join on its key uses raw's index (docs/scaling.md, "Staging views").
select
    equipment_id,
    unit_id,
    equipment_type,
    brand,
    model,
    volume_l,
    purchase_date,
    funding_source,
    in_use_date,
    location,
    status,
    scrapped_date,
    maintenance_notes,
    probe_id,
    updated_at,
    _load_id,
    _loaded_at
from {{ source('ops', 'cold_chain_equipment') }}
where _is_current
