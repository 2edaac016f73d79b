{{ config(
    materialized='view',
    post_hook=[access_scoped_view()],
) }}

-- 出库与接种核对: per unit and batch, OUT_USE in 人份 against the doses recorded with that batch
-- (vaccine + manufacturer + batch number, not deleted). Vaccines given outside the child register
-- (var unreconciled_category_codes: rabies, HFRS) are listed but not compared.
-- A view over int_stock_reconciliation (the numbers per key, incremental by key) that adds the unit, its
-- regions (which follow the evaluation date) and the status. Scoped by its own where clause (macro
-- access_scoped_view_filter, docs/access.md).
with combined as (

    select * from {{ ref('int_stock_reconciliation') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

final as (

    select
        combined.unit_id,
        combined.vaccine_code,
        combined.manufacturer_code,
        combined.batch_no,
        combined.batch_id,
        combined.spec_id,
        combined.doses_per_unit,
        combined.used_quantity,
        combined.used_dose_quantity,
        combined.doses_given,
        units.unit_name,
        {{ unit_region_code("units") }} as region_code,
        units.county_code,
        units.city_code,
        left(combined.vaccine_code, 2) in {{ sql_list(var('unreconciled_category_codes')) }} as is_outside_register,
        combined.used_dose_quantity - combined.doses_given as dose_difference,
        -- multi-dose vials: opened vials may hold more 人份 than were given (open-vial wastage)
        case
            when left(combined.vaccine_code, 2) in {{ sql_list(var('unreconciled_category_codes')) }}
                then 'outside_register'
            when combined.doses_per_unit = 1 and combined.used_dose_quantity = combined.doses_given then 'ok'
            when combined.doses_per_unit > 1 and combined.used_dose_quantity >= combined.doses_given
                and combined.used_quantity <= combined.doses_given then 'ok'
            when combined.used_dose_quantity < combined.doses_given then 'doses_without_stock_movement'
            else 'use_without_doses'
        end as reconciliation_status
    from combined
    left join units
        on combined.unit_id = units.unit_id

)

select * from final
where {{ access_scoped_view_filter('region_code', 'vaccine_code') }}
