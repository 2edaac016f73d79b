{{ config(post_hook=[access_scoped('region_code', 'vaccine_code')]) }}

-- 出库与接种核对: per unit and batch, OUT_USE in 人份 against the doses recorded with that batch
-- (vaccine + manufacturer + batch number, not deleted). Vaccines given outside the child register
-- (var unreconciled_category_codes: rabies, HFRS) are listed but not compared.
with movements as (

    select * from {{ ref('fct_stock_movements') }}

),

doses as (

    select * from {{ ref('stg_ops__vaccination') }}
    where not is_deleted

),

specs as (

    select * from {{ ref('stg_ops__product_spec') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

used as (

    select
        unit_id,
        vaccine_code,
        manufacturer_code,
        batch_no,
        max(batch_id) as batch_id,
        max(spec_id) as spec_id,
        max(doses_per_unit) as doses_per_unit,
        sum(quantity) as used_quantity,
        sum(dose_quantity) as used_dose_quantity,
        max(expiry_date) as expiry_date,
        max(doc_date) as last_use_date
    from movements
    where doc_type = 'OUT_USE'
    group by unit_id, vaccine_code, manufacturer_code, batch_no

),

given as (

    select
        unit_id,
        vaccine_code,
        manufacturer_code,
        batch_no,
        count(*) as doses_given
    from doses
    where manufacturer_code is not null and batch_no is not null
    group by unit_id, vaccine_code, manufacturer_code, batch_no

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
