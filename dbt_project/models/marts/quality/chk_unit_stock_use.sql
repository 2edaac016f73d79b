-- WHO data-quality review: doses given vs vaccine used from stock (接种剂次与疫苗出库核对), per unit and
-- batch (vaccine + manufacturer + batch number). Reads the traceability mart rpt_stock_reconciliation,
-- which compares OUT_USE in 人份 (quantity × doses per unit) with the doses recorded with that batch and
-- classifies each pair (multi-dose vials: opened-vial wastage is not a mismatch); vaccines given outside
-- the child register are left out. Key: unit_id:vaccine_code:manufacturer_code:batch_no (the anomaly
-- report takes the unit from the first part).
with reconciliation as (

    select * from {{ ref('rpt_stock_reconciliation') }}

),

final as (

    select
        unit_id || ':' || vaccine_code || ':' || manufacturer_code || ':' || batch_no as unit_batch_id,
        unit_id,
        unit_name,
        region_code,
        county_code,
        city_code,
        vaccine_code,
        manufacturer_code,
        batch_no,
        batch_id,
        doses_per_unit,
        doses_given,
        used_quantity,
        used_dose_quantity as doses_issued,
        dose_difference,
        reconciliation_status
    from reconciliation
    where not is_outside_register

)

select * from final
