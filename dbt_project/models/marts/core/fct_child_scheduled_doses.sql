{{ config(indexes=[{'columns': ['recipient_id']}, {'columns': ['birth_date']}]) }}
-- One row per current recipient x scheduled dose of the recipient's schedule version (DOMAIN §1.1,
-- §1.2): when it falls due (minimum age), its completion age, and the k-th dose actually given in the
-- category (numbered by date) with its validity (minimum age and interval) and timeliness.
with recipients as (

    select * from {{ ref('dim_recipients') }}

),

schedule as (

    select * from {{ ref('ref_schedule_dose') }}

),

vaccinations as (

    select * from {{ ref('fct_vaccinations') }}

),

child_doses as (

    select
        recipients.recipient_id,
        recipients.birth_date,
        schedule.schedule_version,
        schedule.category_code,
        schedule.category_name,
        schedule.dose_no,
        (
            recipients.birth_date
            + make_interval(months => schedule.min_age_months, days => schedule.min_age_days)
        )::date as due_date,
        case
            when schedule.completion_age_months is not null
                then (recipients.birth_date + make_interval(months => schedule.completion_age_months))::date
            else recipients.birth_date + ceil(schedule.completion_age_hours / 24.0)::integer
        end as completion_date
    from recipients
    inner join schedule
        on schedule.schedule_version = case
                when recipients.birth_date >= '{{ var("schedule_2025_from_birth_date") }}'::date then '2025'
                else '2021'
            end

),

final as (

    select
        {{ surrogate_key(['child_doses.recipient_id', 'child_doses.category_code', 'child_doses.dose_no']) }}
            as child_dose_id,
        child_doses.recipient_id,
        child_doses.birth_date,
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
        coalesce(vaccinations.is_valid_dose and vaccinations.schedule_class = 'timely', false) as is_timely
    from child_doses
    left join vaccinations
        on child_doses.recipient_id = vaccinations.recipient_id
            and child_doses.category_code = vaccinations.category_code
            and child_doses.dose_no = vaccinations.recomputed_dose_no

)

select * from final
