{{ config(materialized='view') }}
-- 接种率监测 月报 明细 (DOMAIN §2.2): one row per child x scheduled dose x month in which the dose
-- counts. 应种: an in-register child aged under var due_max_age_years whose dose fell due this month,
-- or fell due within the last var due_carry_months months and was not given before this month (from
-- month 13 unvaccinated the child drops out of 应种). 实种: the dose given this month (is_given).
-- 应种 +1 / 实种 +1 (is_plus_one): a dose given to a 临时 child, to a child at or above the age
-- limit, or to a child who had dropped out of 应种. Months up to the evaluation date's month.
with child_doses as (

    select * from {{ ref('fct_child_scheduled_doses') }}

),

recipients as (

    select * from {{ ref('dim_recipients') }}

),

doses as (

    select
        child_doses.child_dose_id,
        child_doses.recipient_id,
        recipients.managing_unit_id,
        recipients.register_group,
        child_doses.birth_date,
        child_doses.category_code,
        child_doses.category_name,
        child_doses.dose_no,
        child_doses.due_date,
        child_doses.vaccination_id,
        child_doses.vaccination_date,
        date_trunc('month', child_doses.due_date)::date as due_month,
        date_trunc('month', child_doses.vaccination_date)::date as given_month,
        least(
            (
                date_trunc('month', child_doses.due_date)
                + make_interval(months => {{ var('due_carry_months') }} - 1)
            )::date,
            date_trunc(
                'month', child_doses.birth_date
                + make_interval(years => {{ var('due_max_age_years') }}) - interval '1 day'
            )::date,
            date_trunc('month', {{ evaluation_date() }})::date
        ) as last_due_month
    from child_doses
    inner join recipients
        on child_doses.recipient_id = recipients.recipient_id
    where
        recipients.register_group in ('in_register', 'temporary')
        -- doses falling due after the evaluation month count nowhere unless already given
        and (
            child_doses.vaccination_date is not null
            or child_doses.due_date < (date_trunc('month', {{ evaluation_date() }}) + interval '1 month')::date
        )

),

due_months as (

    select
        doses.*,
        months.month_start::date as month_start,
        doses.given_month = months.month_start::date as is_given,
        false as is_plus_one
    from doses
    cross join
        lateral generate_series(
            doses.due_month,
            least(doses.last_due_month, coalesce(doses.given_month, doses.last_due_month)),
            interval '1 month'
        ) as months (month_start)
    where doses.register_group = 'in_register'

),

plus_one as (

    select
        doses.*,
        doses.given_month as month_start,
        true as is_given,
        true as is_plus_one
    from doses
    where doses.vaccination_date is not null
        and doses.given_month <= date_trunc('month', {{ evaluation_date() }})::date
        and (
            doses.register_group = 'temporary'
            or (doses.given_month >= doses.due_month and doses.given_month > doses.last_due_month)
        )

),

final as (

    select
        {{ surrogate_key(['child_dose_id', 'month_start']) }} as child_dose_month_id,
        child_dose_id,
        month_start,
        recipient_id,
        managing_unit_id,
        register_group,
        birth_date,
        category_code,
        category_name,
        dose_no,
        due_date,
        vaccination_id,
        vaccination_date,
        is_given,
        is_plus_one
    from due_months

    union all

    select
        {{ surrogate_key(['child_dose_id', 'month_start']) }} as child_dose_month_id,
        child_dose_id,
        month_start,
        recipient_id,
        managing_unit_id,
        register_group,
        birth_date,
        category_code,
        category_name,
        dose_no,
        due_date,
        vaccination_id,
        vaccination_date,
        is_given,
        is_plus_one
    from plus_one

)

select * from final
