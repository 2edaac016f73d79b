{{ config(materialized='view') }}
-- 签核率 登记签核明细 (DOMAIN §8.4): one row per vaccination visit with its registration and the
-- guardian's consent signature: signed (on time: not after the first dose, same day), late (after the
-- first dose or another day), unsigned (no signature or no registration).
-- A view: the rows are stored in int_signoff_visits (incremental by vaccination date and unit); the unit's
-- names and regions (as of the evaluation date) and the registrar's name are joined here.
with visits as (

    select * from {{ ref('int_signoff_visits') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

staff as (

    select * from {{ ref('stg_ops__staff') }}

),

final as (

    select
        {{ visit_key('visits') }} as visit_key,
        visits.recipient_id,
        visits.unit_id,
        visits.vaccination_date,
        visits.doses,
        visits.first_vaccinated_at,
        visits.last_vaccinated_at,
        {{ visit_unit_columns('units') }},
        visits.register_status,
        visits.register_group,
        visits.registration_id,
        visits.registered_at,
        visits.registrar_id,
        staff.staff_name as registrar_name,
        visits.reg_signed_at,
        visits.reg_sign_status
    from visits
    left join units
        on visits.unit_id = units.unit_id
    left join staff
        on visits.registrar_id = staff.staff_id

)

select * from final
