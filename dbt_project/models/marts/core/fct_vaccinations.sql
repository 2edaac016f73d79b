{{ config(
    indexes=[
        {'columns': ['vaccination_date']},
        {'columns': ['recipient_id']},
        {'columns': ['unit_id']},
    ]
) }}
-- One row per non-deleted dose of a current (non-deleted, register status <> 5) recipient.
with doses as (

    select * from {{ ref('int_vaccinations_corrected') }}
    where not is_deleted

),

classified as (

    select * from {{ ref('int_doses_classified_by_schedule') }}

),

recipients as (

    select * from {{ ref('dim_recipients') }}

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
        doses.vaccination_id,
        doses.recipient_id,
        doses.vaccine_code,
        vaccines.vaccine_name,
        classified.category_code,
        coalesce(vaccines.is_nip, false) as is_nip,
        classified.category_code in {{ non_vaccine_categories() }} as is_non_vaccine_product,
        classified.is_vaccine_code_known,
        doses.dose_no,
        classified.recomputed_dose_no,
        classified.effective_dose_no,
        classified.is_dose_no_mismatch,
        doses.vaccinated_at,
        classified.vaccination_date,
        doses.entered_at,
        doses.uploaded_at,
        doses.manufacturer_code,
        manufacturers.manufacturer_name,
        doses.batch_no,
        doses.expiry_date,
        doses.site_code,
        doses.route_code,
        doses.vacc_property,
        doses.is_free,
        doses.vaccinator_id,
        doses.unit_id,
        units.unit_name,
        {{ unit_region_columns('units') }},
        recipients.birth_at,
        recipients.birth_date,
        recipients.sex,
        recipients.register_status,
        recipients.register_group,
        recipients.is_local,
        classified.age_days,
        classified.age_months,
        classified.schedule_version,
        classified.is_min_age_valid,
        classified.is_min_interval_valid,
        classified.is_valid_dose,
        classified.schedule_class,
        doses._load_id
    from doses
    inner join recipients
        on doses.recipient_id = recipients.recipient_id
    inner join classified
        on doses.vaccination_id = classified.vaccination_id
    left join vaccines
        on doses.vaccine_code = vaccines.vaccine_code
    left join manufacturers
        on doses.manufacturer_code = manufacturers.manufacturer_code
    left join units
        on doses.unit_id = units.unit_id

)

select * from final
