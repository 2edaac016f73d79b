{{ recipient_chain_config(
    "recipients=ref('int_recipients_corrected'), doses=ref('int_vaccinations_corrected'),"
    ~ " vaccines=ref('stg_ops__vaccine'), lineage='_derived_load_id'",
    dose_grain=true,
    indexes=[{'columns': ['vaccination_date', 'unit_id']}, {'columns': ['unit_id']}],
    log_changes=true,
) }}
-- The stored part of fct_vaccinations (a view that adds the names of the vaccine, the manufacturer and the
-- unit, and the unit's regions as of the evaluation date): one row per non-deleted dose of a current
-- recipient (not deleted, register status 5 excluded), classified against the NIP schedule (DOMAIN §1.1, §1.2,
-- §8): schedule version by birth date, age at vaccination, recomputed dose number per vaccine category, minimum
-- age and minimum interval validity, and the class early / timely / late / unscheduled (the schedule row is
-- matched on the recomputed dose number); with the recipient's birth time, sex and register status.
-- Incremental by recipient, as the dose chain it reads (macro recipient_chain_config), and logged
-- (chain_log.sql): the dose aggregates follow it by (vaccination date, unit) (dose_day_follower.sql).
with doses as (

    select * from {{ ref('int_vaccinations_corrected') }}
    where not is_deleted
        and {{ is_changed_recipient('recipient_id') }}

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

schedule as (

    select * from {{ ref('ref_schedule_dose') }}

),

doses_with_recipient as (

    select
        doses.vaccination_id,
        doses.recipient_id,
        doses.vaccine_code,
        coalesce(vaccines.category_code, left(doses.vaccine_code, 2)) as category_code,
        vaccines.vaccine_code is not null as is_vaccine_code_known,
        doses.dose_no,
        doses.vaccinated_at,
        doses.vaccinated_at::date as vaccination_date,
        recipients.birth_at,
        recipients.birth_at::date as birth_date,
        case
            when recipients.birth_at::date >= '{{ var("schedule_2025_from_birth_date") }}'::date then '2025'
            else '2021'
        end as schedule_version
    from doses
    left join vaccines
        on doses.vaccine_code = vaccines.vaccine_code
    inner join recipients
        on doses.recipient_id = recipients.recipient_id

),

numbered as (

    select
        doses_with_recipient.*,
        row_number() over (
            partition by doses_with_recipient.recipient_id, doses_with_recipient.category_code
            order by doses_with_recipient.vaccinated_at asc, doses_with_recipient.vaccination_id asc
        ) as recomputed_dose_no,
        lag(doses_with_recipient.vaccinated_at) over (
            partition by doses_with_recipient.recipient_id, doses_with_recipient.category_code
            order by doses_with_recipient.vaccinated_at asc, doses_with_recipient.vaccination_id asc
        ) as previous_vaccinated_at,
        -- the entered dose number of the previous dose (chk_vaccinations: dose numbers increasing); doses
        -- with an unknown vaccine code cannot be placed in a series: compared among themselves only
        lag(doses_with_recipient.dose_no) over (
            partition by
                doses_with_recipient.recipient_id,
                doses_with_recipient.category_code,
                doses_with_recipient.is_vaccine_code_known
            order by doses_with_recipient.vaccinated_at asc, doses_with_recipient.vaccination_id asc
        ) as previous_dose_no
    from doses_with_recipient

),

with_schedule as (

    select
        numbered.*,
        numbered.vaccination_date - numbered.birth_date as age_days,
        {{ months_between('numbered.birth_date', 'numbered.vaccination_date') }} as age_months,
        numbered.vaccination_date - numbered.previous_vaccinated_at::date as interval_days,
        schedule.dose_no is not null as is_scheduled,
        schedule.min_age_months,
        schedule.min_age_days,
        schedule.min_interval_days,
        schedule.completion_age_months,
        schedule.completion_age_hours,
        (
            numbered.birth_date
            + make_interval(
                months => coalesce(schedule.min_age_months, 0),
                days => coalesce(schedule.min_age_days, 0)
            )
        )::date as min_age_date
    from numbered
    left join schedule
        on numbered.schedule_version = schedule.schedule_version
            and numbered.category_code = schedule.category_code
            and numbered.recomputed_dose_no = schedule.dose_no

),

classified as (

    select
        with_schedule.*,
        with_schedule.vaccination_date >= with_schedule.min_age_date as is_min_age_valid,
        (
            with_schedule.previous_vaccinated_at is null
            or with_schedule.min_interval_days is null
            or with_schedule.interval_days >= with_schedule.min_interval_days
        ) as is_min_interval_valid,
        case
            when with_schedule.completion_age_hours is not null
                then with_schedule.vaccinated_at - with_schedule.birth_at
                    <= make_interval(hours => with_schedule.completion_age_hours)
            when with_schedule.completion_age_months is not null
                then with_schedule.vaccination_date
                    < (with_schedule.birth_date + make_interval(months => with_schedule.completion_age_months))::date
            else with_schedule.vaccinated_at - with_schedule.birth_at
                <= make_interval(hours => {{ var("hepb1_timely_hours") }})
        end as is_before_completion_age
    from with_schedule

),

classified_doses as (

    select
        vaccination_id,
        category_code,
        is_vaccine_code_known,
        recomputed_dose_no,
        previous_dose_no,
        coalesce(dose_no <> recomputed_dose_no, true) as is_dose_no_mismatch,
        coalesce(dose_no, recomputed_dose_no) as effective_dose_no,
        vaccination_date,
        age_days,
        age_months,
        schedule_version,
        case when is_scheduled then is_min_age_valid end as is_min_age_valid,
        case when is_scheduled then is_min_interval_valid end as is_min_interval_valid,
        case when is_scheduled then is_min_age_valid and is_min_interval_valid end as is_valid_dose,
        case
            when birth_at is null then null
            when not is_scheduled then 'unscheduled'
            when not is_min_age_valid then 'early'
            when is_before_completion_age then 'timely'
            else 'late'
        end as schedule_class
    from classified

),

final as (

    select
        doses.vaccination_id,
        doses.recipient_id,
        doses.vaccine_code,
        classified_doses.category_code,
        coalesce(vaccines.is_nip, false) as is_nip,
        classified_doses.category_code in {{ non_vaccine_categories() }} as is_non_vaccine_product,
        classified_doses.is_vaccine_code_known,
        doses.dose_no,
        classified_doses.recomputed_dose_no,
        classified_doses.previous_dose_no,
        classified_doses.effective_dose_no,
        classified_doses.is_dose_no_mismatch,
        doses.vaccinated_at,
        classified_doses.vaccination_date,
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
        classified_doses.age_days,
        classified_doses.age_months,
        classified_doses.schedule_version,
        classified_doses.is_min_age_valid,
        classified_doses.is_min_interval_valid,
        classified_doses.is_valid_dose,
        classified_doses.schedule_class,
        doses._load_id,
        greatest(doses._derived_load_id, recipients._derived_load_id, vaccines._load_id)
            as _derived_load_id
    from doses
    inner join recipients
        on doses.recipient_id = recipients.recipient_id
    inner join classified_doses
        on doses.vaccination_id = classified_doses.vaccination_id
    left join register_statuses
        on recipients.register_status = register_statuses.register_status
    left join vaccines
        on doses.vaccine_code = vaccines.vaccine_code

)

select * from final
