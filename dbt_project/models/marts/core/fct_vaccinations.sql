{{ config(materialized='view') }}
-- 接种记录事实: one row per non-deleted dose of a current (non-deleted, register status <> 5) recipient.
-- A view: the doses are stored once, in int_vaccinations (incremental by recipient); the names of the
-- vaccine, the manufacturer and the unit and the unit's regions (which follow the evaluation date) are
-- joined as it is read. Filters on vaccination_date, unit_id and recipient_id use int_vaccinations' indexes.
with vaccinations as (

    select * from {{ ref('int_vaccinations') }}

),

vaccines as (

    select * from {{ ref('stg_ops__vaccine') }}

),

manufacturers as (

    select * from {{ ref('stg_ops__manufacturer') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

final as (

    select
        vaccinations.vaccination_id,
        vaccinations.recipient_id,
        vaccinations.vaccine_code,
        vaccines.vaccine_name,
        vaccinations.category_code,
        vaccinations.is_nip,
        vaccinations.is_non_vaccine_product,
        vaccinations.is_vaccine_code_known,
        vaccinations.dose_no,
        vaccinations.recomputed_dose_no,
        vaccinations.effective_dose_no,
        vaccinations.is_dose_no_mismatch,
        vaccinations.vaccinated_at,
        vaccinations.vaccination_date,
        vaccinations.entered_at,
        vaccinations.uploaded_at,
        vaccinations.manufacturer_code,
        manufacturers.manufacturer_name,
        vaccinations.batch_no,
        vaccinations.expiry_date,
        vaccinations.site_code,
        vaccinations.route_code,
        vaccinations.vacc_property,
        vaccinations.is_free,
        vaccinations.vaccinator_id,
        vaccinations.unit_id,
        units.unit_name,
        {{ unit_region_columns('units') }},
        vaccinations.birth_at,
        vaccinations.birth_date,
        vaccinations.sex,
        vaccinations.register_status,
        vaccinations.register_group,
        vaccinations.is_local,
        vaccinations.age_days,
        vaccinations.age_months,
        vaccinations.schedule_version,
        vaccinations.is_min_age_valid,
        vaccinations.is_min_interval_valid,
        vaccinations.is_valid_dose,
        vaccinations.schedule_class,
        vaccinations._load_id
    from vaccinations
    left join vaccines
        on vaccinations.vaccine_code = vaccines.vaccine_code
    left join manufacturers
        on vaccinations.manufacturer_code = manufacturers.manufacturer_code
    left join units
        on vaccinations.unit_id = units.unit_id

)

select * from final
