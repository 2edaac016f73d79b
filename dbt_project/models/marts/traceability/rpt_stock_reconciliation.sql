{{ config(post_hook=[access_scoped('region_code', 'vaccine_code')]) }}

-- 出库与接种核对: per unit and batch, OUT_USE in 人份 against the doses recorded with that batch
-- (vaccine + manufacturer + batch number, not deleted). Vaccines given outside the child register
-- (var unreconciled_category_codes: rabies, HFRS) are listed but not compared.
-- Built from two incremental tables, so it reads neither the ledger's lines nor the doses: the clinic use
-- per unit and batch (int_stock_on_hand, which follows the ledger) and the doses per unit and batch number
-- (int_stock_doses_given, counts kept by difference).
with stored_use as (

    select * from {{ ref('int_stock_on_hand') }}
    where use_quantity is not null

),

batches as (

    select * from {{ ref('int_stock_batch_attributes') }}

),

given as (

    select * from {{ ref('int_stock_doses_given') }}

),

specs as (

    select * from {{ ref('stg_ops__product_spec') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

used as (

    select
        stored_use.unit_id,
        batches.vaccine_code,
        batches.manufacturer_code,
        batches.batch_no,
        max(stored_use.batch_id) as batch_id,
        max(batches.spec_id) as spec_id,
        max(batches.doses_per_unit) as doses_per_unit,
        sum(stored_use.use_quantity)::bigint as used_quantity,
        sum(stored_use.use_dose_quantity)::bigint as used_dose_quantity
    from stored_use
    left join batches
        on stored_use.batch_id = batches.batch_id
    group by stored_use.unit_id, batches.vaccine_code, batches.manufacturer_code, batches.batch_no

),

combined as (

    select
        coalesce(used.unit_id, given.unit_id) as unit_id,
        coalesce(used.vaccine_code, given.vaccine_code) as vaccine_code,
        coalesce(used.manufacturer_code, given.manufacturer_code) as manufacturer_code,
        coalesce(used.batch_no, given.batch_no) as batch_no,
        used.batch_id,
        coalesce(used.spec_id, specs.spec_id) as spec_id,
        coalesce(used.doses_per_unit, specs.doses_per_unit, 1) as doses_per_unit,
        coalesce(used.used_quantity, 0) as used_quantity,
        coalesce(used.used_dose_quantity, 0) as used_dose_quantity,
        coalesce(given.doses_given, 0) as doses_given
    from used
    full outer join given
        on
            used.unit_id = given.unit_id
            and used.vaccine_code = given.vaccine_code
            and used.manufacturer_code = given.manufacturer_code
            and used.batch_no = given.batch_no
    left join specs
        on
            given.vaccine_code = specs.vaccine_code
            and given.manufacturer_code = specs.manufacturer_code

),

final as (

    select
        combined.*,
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
