{{ config(indexes=[{'columns': ['vaccination_date']}, {'columns': ['unit_id']}]) }}
-- 签核率 登记签核明细 (DOMAIN §8.4): one row per vaccination visit with its registration and the
-- guardian's consent signature: signed (on time: not after the first dose, same day), late (after the
-- first dose or another day), unsigned (no signature or no registration).
with registrations as materialized (

    select
        *,
        row_number() over (
            partition by recipient_id, unit_id, visit_date
            order by signed_at nulls last, registered_at, registration_id
        ) as registration_rank
    from {{ ref('stg_ops__visit_registration') }}
    where not is_deleted

),

staff as materialized (

    select * from {{ ref('stg_ops__staff') }}

),

visits as (

    select * from {{ ref('int_vaccination_visits') }}

),

final as (

    select
        visits.visit_key,
        visits.recipient_id,
        visits.unit_id,
        visits.vaccination_date,
        visits.doses,
        visits.first_vaccinated_at,
        visits.last_vaccinated_at,
        visits.unit_name,
        visits.unit_township_code,
        visits.unit_township_name,
        visits.unit_county_code,
        visits.unit_county_name,
        visits.unit_city_code,
        visits.unit_city_name,
        visits.unit_province_code,
        visits.unit_province_name,
        visits.register_status,
        visits.register_group,
        registrations.registration_id,
        registrations.registered_at,
        registrations.registrar_id,
        staff.staff_name as registrar_name,
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
    left join staff
        on registrations.registrar_id = staff.staff_id

)

select * from final
