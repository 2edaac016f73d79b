{{ dose_day_follower_config(
    ['vaccination_id'],
    sources=[
        {'model': 'stg_ops__visit_registration', 'date': 'visit_date', 'unit': 'unit_id'},
        {'model': 'stg_ops__vaccination_sign', 'dose': 'vaccination_id'},
    ],
    log_changes=true,
    indexes=[{'columns': ['vaccination_date', 'unit_id']}, {'columns': ['unit_id']}],
) }}
-- 签核率 接种签核明细 (DOMAIN §8.4), the stored part of rpt_signoff_dose_detail (a view that adds the names
-- and regions): one row per dose with the guardian's vaccination sign-off: signed (within
-- var('signoff_window_hours') of the dose, same day, not before the registration signature), out_of_order
-- (before the registration signature), late (outside the window or another day), unsigned. Without a
-- registration signature the order condition does not apply. Follows int_vaccinations, the registrations
-- and the sign-offs by (vaccination date, unit), and logs its changes for rpt_signoff (dose_day_follower.sql).
with doses as (

    select *
    from ({{ changed_dose_day_rows(ref('int_vaccinations')) }}) as doses
    where unit_id is not null

),

signs as (

    select
        *,
        row_number() over (partition by vaccination_id order by signed_at, sign_id) as sign_rank
    from {{ ref('stg_ops__vaccination_sign') }}
    where not is_deleted
        and vaccination_id in (select vaccination_id from doses)

),

visits as (

    select * from ({{ changed_dose_day_rows(ref('int_signoff_visits')) }}) as visits

),

final as (

    select
        doses.vaccination_id,
        doses.recipient_id,
        doses.unit_id,
        doses.register_group,
        doses.vaccination_date,
        doses.vaccinated_at,
        doses.vaccine_code,
        doses.vaccinator_id,
        visits.registration_id,
        visits.reg_signed_at,
        signs.sign_id,
        signs.signed_at as vacc_signed_at,
        case
            when signs.signed_at is null then 'unsigned'
            when signs.signed_at < visits.reg_signed_at then 'out_of_order'
            when
                signs.signed_at::date = doses.vaccination_date
                and abs(extract(epoch from signs.signed_at - doses.vaccinated_at))
                <= {{ var('signoff_window_hours') }} * 3600
                then 'signed'
            else 'late'
        end as vacc_sign_status
    from doses
    left join signs
        on
            doses.vaccination_id = signs.vaccination_id
            and signs.sign_rank = 1
    left join visits
        on
            doses.recipient_id = visits.recipient_id
            and doses.unit_id = visits.unit_id
            and doses.vaccination_date = visits.vaccination_date

)

select * from final
