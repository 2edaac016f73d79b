{{ dose_day_follower_config(
    ['vaccination_date', 'unit_id', 'recipient_id'],
    sources=[{'model': 'stg_ops__visit_registration', 'date': 'visit_date', 'unit': 'unit_id'}],
    log_changes=true,
    indexes=[{'columns': ['unit_id']}],
) }}
-- 签核率 登记签核明细 (DOMAIN §8.4), the stored part of rpt_signoff_visit_detail (a view that adds the unit's
-- names and regions and the registrar's name): one row per vaccination visit with its registration and the
-- guardian's consent signature: signed (on time: not after the first dose, same day), late (after the first
-- dose or another day), unsigned (no signature or no registration). Follows int_vaccinations and the
-- registrations by (vaccination date, unit), and logs its changes for rpt_signoff (dose_day_follower.sql).
with visits as (

    {{ changed_dose_day_rows(ref('int_vaccination_visits')) }}

),

registrations as (

    select
        *,
        row_number() over (
            partition by recipient_id, unit_id, visit_date
            order by signed_at nulls last, registered_at, registration_id
        ) as registration_rank
    from ({{ changed_dose_day_rows(ref('stg_ops__visit_registration'), date='visit_date') }}) as registrations
    where not is_deleted

),

final as (

    select
        {{ visit_columns('visits') }},
        registrations.registration_id,
        registrations.registered_at,
        registrations.registrar_id,
        registrations.signed_at as reg_signed_at,
        case
            when registrations.signed_at is null then 'unsigned'
            when
                registrations.signed_at <= visits.first_vaccinated_at
                and registrations.signed_at::date = visits.vaccination_date
                then 'signed'
            else 'late'
        end as reg_sign_status
    from visits
    left join registrations
        on
            visits.recipient_id = registrations.recipient_id
            and visits.unit_id = registrations.unit_id
            and visits.vaccination_date = registrations.visit_date
            and registrations.registration_rank = 1

)

select * from final
