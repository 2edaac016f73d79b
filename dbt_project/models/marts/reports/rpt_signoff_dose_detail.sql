{{ config(materialized='view') }}
-- 签核率 接种签核明细 (DOMAIN §8.4): one row per dose with the guardian's vaccination sign-off:
-- signed (within var('signoff_window_hours') of the dose, same day, not before the registration
-- signature), out_of_order (before the registration signature), late (outside the window or another
-- day), unsigned. Without a registration signature the order condition does not apply.
-- A view: the rows are stored in int_signoff_doses (incremental by vaccination date and unit); the names
-- and the unit's regions (as of the evaluation date) are joined here.
with doses as (

    select * from {{ ref('int_signoff_doses') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

vaccines as (

    select * from {{ ref('stg_ops__vaccine') }}

),

staff as (

    select * from {{ ref('stg_ops__staff') }}

),

final as (

    select
        doses.vaccination_id,
        doses.recipient_id,
        doses.unit_id,
        {{ visit_unit_columns('units', as_text=false) }},
        doses.register_group,
        doses.vaccination_date,
        doses.vaccinated_at,
        doses.vaccine_code,
        vaccines.vaccine_name,
        doses.vaccinator_id,
        staff.staff_name as vaccinator_name,
        {{ visit_key('doses') }} as visit_key,
        doses.reg_signed_at,
        doses.vacc_signed_at,
        doses.vacc_sign_status
    from doses
    left join units
        on doses.unit_id = units.unit_id
    left join vaccines
        on doses.vaccine_code = vaccines.vaccine_code
    left join staff
        on doses.vaccinator_id = staff.staff_id

)

select * from final
