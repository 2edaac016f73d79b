{{ config(indexes=[{'columns': ['vaccination_date']}, {'columns': ['unit_id']}]) }}
-- 签核率 登记签核明细 (DOMAIN §8.4): one row per vaccination visit with its registration and the
-- guardian's consent signature: signed (on time: not after the first dose, same day), late (after the
-- first dose or another day), unsigned (no signature or no registration).
with doses as (

    select * from {{ ref('fct_vaccinations') }}

),

registrations as materialized (

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

    select
        recipient_id,
        unit_id,
        vaccination_date,
        count(*) as doses,
        min(vaccinated_at) as first_vaccinated_at,
        max(unit_name) as unit_name,
        max(unit_township_code) as unit_township_code,
        max(unit_township_name) as unit_township_name,
        max(unit_county_code) as unit_county_code,
        max(unit_county_name) as unit_county_name,
        max(unit_city_code) as unit_city_code,
        max(unit_city_name) as unit_city_name,
        max(unit_province_code) as unit_province_code,
        max(unit_province_name) as unit_province_name,
        max(register_group) as register_group
    from doses
    where unit_id is not null
    group by recipient_id, unit_id, vaccination_date

),

final as (

    select
        {{ surrogate_key(['visits.recipient_id', 'visits.unit_id', 'visits.vaccination_date']) }} as visit_key,
        visits.*,
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
