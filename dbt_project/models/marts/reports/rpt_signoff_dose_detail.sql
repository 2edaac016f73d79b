{{ config(indexes=[{'columns': ['vaccination_date']}, {'columns': ['unit_id']}]) }}
-- 签核率 接种签核明细 (DOMAIN §8.4): one row per dose with the guardian's vaccination sign-off:
-- signed (within var('signoff_window_hours') of the dose, same day, not before the registration
-- signature), out_of_order (before the registration signature), late (outside the window or another
-- day), unsigned. Without a registration signature the order condition does not apply.
with doses as (

    select * from {{ ref('fct_vaccinations') }}

),

signs as materialized (

    select
        *,
        row_number() over (partition by vaccination_id order by signed_at, sign_id) as sign_rank
    from {{ ref('stg_ops__vaccination_sign') }}
    where not is_deleted

),

visits as (

    select * from {{ ref('rpt_signoff_visit_detail') }}

),

staff as materialized (

    select * from {{ ref('stg_ops__staff') }}

),

final as (

    select
        doses.vaccination_id,
        doses.recipient_id,
        doses.unit_id,
        doses.unit_name,
        doses.unit_township_code,
        doses.unit_township_name,
        doses.unit_county_code,
        doses.unit_county_name,
        doses.unit_city_code,
        doses.unit_city_name,
        doses.unit_province_code,
        doses.unit_province_name,
        doses.register_group,
        doses.vaccination_date,
        doses.vaccinated_at,
        doses.vaccine_code,
        doses.vaccine_name,
        doses.vaccinator_id,
        staff.staff_name as vaccinator_name,
        visits.visit_key,
        visits.reg_signed_at,
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
    left join staff
        on doses.vaccinator_id = staff.staff_id
    where doses.unit_id is not null

)

select * from final
