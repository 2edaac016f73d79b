{{ recipient_chain_config(
    "recipients=ref('int_recipients_corrected'), doses=ref('int_vaccinations_corrected'),"
    ~ " vaccines=ref('stg_ops__vaccine'), lineage='_derived_load_id'",
    unique_key='child_dose_id',
    indexes=[{'columns': ['birth_date']}],
    log_changes=true,
) }}
-- One row per current recipient x scheduled dose of the recipient's schedule version (DOMAIN §1.1,
-- §1.2): when it falls due (minimum age), its completion age, and the k-th dose actually given in the
-- category (numbered by date) with its validity (minimum age and interval) and timeliness; with the
-- recipient's managing unit and register group (接种率监测 counts by them).
-- Incremental by recipient, as the dose chain it reads (macro recipient_chain_config; the same changes as
-- int_vaccinations, whose classified doses it reads), and logged (chain_log.sql): rpt_coverage_monthly's
-- cells follow it by difference.
with recipients as (

    {{ changed_current_recipients() }}

),

register_statuses as (

    select * from {{ ref('ref_register_status') }}

),

schedule as (

    select * from {{ ref('ref_schedule_dose') }}

),

vaccinations as (

    select
        vaccination_id,
        recipient_id,
        vaccine_code,
        category_code,
        recomputed_dose_no,
        vaccination_date,
        is_valid_dose,
        schedule_class,
        unit_id,
        _derived_load_id
    from {{ ref('int_vaccinations') }}
    where {{ is_changed_recipient('recipient_id') }}

),

child_doses as (

    select
        recipients.recipient_id,
        recipients.birth_at::date as birth_date,
        recipients.managing_unit_id,
        register_statuses.register_group,
        recipients._derived_load_id,
        schedule.schedule_version,
        schedule.category_code,
        schedule.category_name,
        schedule.dose_no,
        (
            recipients.birth_at::date
            + make_interval(months => schedule.min_age_months, days => schedule.min_age_days)
        )::date as due_date,
        case
            when schedule.completion_age_months is not null
                then (recipients.birth_at::date + make_interval(months => schedule.completion_age_months))::date
            else recipients.birth_at::date + ceil(schedule.completion_age_hours / 24.0)::integer
        end as completion_date
    from recipients
    left join register_statuses
        on recipients.register_status = register_statuses.register_status
    inner join schedule
        on schedule.schedule_version = case
                when recipients.birth_at::date >= '{{ var("schedule_2025_from_birth_date") }}'::date then '2025'
                else '2021'
            end

),

final as (

    select
        {{ surrogate_key(['child_doses.recipient_id', 'child_doses.category_code', 'child_doses.dose_no']) }}
            as child_dose_id,
        child_doses.recipient_id,
        child_doses.birth_date,
        child_doses.managing_unit_id,
        child_doses.register_group,
        child_doses.schedule_version,
        child_doses.category_code,
        child_doses.category_name,
        child_doses.dose_no,
        child_doses.due_date,
        child_doses.completion_date,
        vaccinations.vaccination_id,
        vaccinations.vaccine_code,
        vaccinations.vaccination_date,
        vaccinations.unit_id as vaccination_unit_id,
        coalesce(vaccinations.is_valid_dose, false) as is_valid_dose,
        coalesce(vaccinations.is_valid_dose and vaccinations.schedule_class = 'timely', false) as is_timely,
        greatest(child_doses._derived_load_id, vaccinations._derived_load_id) as _derived_load_id
    from child_doses
    left join vaccinations
        on child_doses.recipient_id = vaccinations.recipient_id
            and child_doses.category_code = vaccinations.category_code
            and child_doses.dose_no = vaccinations.recomputed_dose_no

)

select * from final
