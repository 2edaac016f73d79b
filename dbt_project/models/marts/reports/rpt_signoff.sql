{{ dose_day_follower_config(
    ['unit_id', 'vaccination_date'],
    follows=['int_signoff_visits', 'int_signoff_doses'],
) }}
-- 签核率统计: registration sign-offs per visit and vaccination sign-offs per dose, per unit and date.
-- Follows the logs of int_signoff_visits and int_signoff_doses by (vaccination date, unit)
-- (macros dose_day_follower.sql).
with visits as (

    select
        unit_id,
        vaccination_date,
        count(*) as visits,
        count(*) filter (where reg_sign_status = 'signed') as reg_signed,
        count(*) filter (where reg_sign_status = 'late') as reg_late
    from ({{ changed_dose_day_rows(ref('int_signoff_visits')) }}) as visit_rows
    group by unit_id, vaccination_date

),

doses as (

    select
        unit_id,
        vaccination_date,
        count(*) as doses,
        count(*) filter (where vacc_sign_status = 'signed') as vacc_signed,
        count(*) filter (where vacc_sign_status = 'late') as vacc_late,
        count(*) filter (where vacc_sign_status = 'out_of_order') as vacc_out_of_order
    from ({{ changed_dose_day_rows(ref('int_signoff_doses')) }}) as dose_rows
    group by unit_id, vaccination_date

),

final as (

    select
        visits.unit_id,
        visits.vaccination_date,
        visits.visits,
        visits.reg_signed,
        visits.reg_late,
        doses.doses,
        doses.vacc_signed,
        doses.vacc_late,
        doses.vacc_out_of_order
    from visits
    inner join doses
        on
            visits.unit_id = doses.unit_id
            and visits.vaccination_date = doses.vaccination_date

)

select * from final
