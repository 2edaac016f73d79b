{{ recipient_chain_config(
    "recipients=ref('int_recipients_corrected'), doses=ref('int_vaccinations_corrected'),"
    ~ " vaccines=ref('stg_ops__vaccine'), lineage='_derived_load_id'",
    dose_grain=true,
    indexes=[{'columns': ['vaccination_date', 'unit_id']}, {'columns': ['unit_id']}],
    log_changes=true,
) }}
-- The stored part of fct_vaccinations (a view that adds the names of the vaccine, the manufacturer and the
-- unit, and the unit's regions as of the evaluation date): one row per non-deleted dose of a current
-- recipient (not deleted, register status 5 excluded), with its classification (int_doses_classified_by_schedule)
-- and the recipient's birth time, sex and register status.
-- Incremental by recipient, as the dose chain it reads (macro recipient_chain_config; the same changes as
-- int_doses_classified_by_schedule), and logged (chain_log.sql): the dose aggregates follow it by
-- (vaccination date, unit) (dose_day_follower.sql).
with doses as (

    select * from {{ ref('int_vaccinations_corrected') }}
    where not is_deleted
        and {{ is_changed_recipient('recipient_id') }}

),

classified as (

    select * from {{ ref('int_doses_classified_by_schedule') }}
    where {{ is_changed_recipient('recipient_id') }}

),

recipients as (

    {{ changed_current_recipients() }}

),

register_statuses as (

    select * from {{ ref('ref_register_status') }}

),

vaccines as (

    select * from {{ ref('stg_ops__vaccine') }}

),

final as (

    select
        doses.vaccination_id,
        doses.recipient_id,
        doses.vaccine_code,
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
        doses.batch_no,
        doses.expiry_date,
        doses.site_code,
        doses.route_code,
        doses.vacc_property,
        doses.is_free,
        doses.vaccinator_id,
        doses.unit_id,
        recipients.birth_at,
        recipients.birth_at::date as birth_date,
        recipients.sex,
        recipients.register_status,
        register_statuses.register_group,
        recipients.is_local,
        classified.age_days,
        classified.age_months,
        classified.schedule_version,
        classified.is_min_age_valid,
        classified.is_min_interval_valid,
        classified.is_valid_dose,
        classified.schedule_class,
        doses._load_id,
        greatest(doses._derived_load_id, classified._derived_load_id, recipients._derived_load_id, vaccines._load_id)
            as _derived_load_id
    from doses
    inner join recipients
        on doses.recipient_id = recipients.recipient_id
    inner join classified
        on doses.vaccination_id = classified.vaccination_id
    left join register_statuses
        on recipients.register_status = register_statuses.register_status
    left join vaccines
        on doses.vaccine_code = vaccines.vaccine_code

)

select * from final
