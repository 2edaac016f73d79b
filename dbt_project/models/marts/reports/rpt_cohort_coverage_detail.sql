{{ config(materialized='view') }}
-- 乡镇出生队列接种率 明细 (DOMAIN §8.6): one row per child x scheduled dose, with the child's recorded
-- residence and household township codes (resolved for a chosen date T through
-- dim_township_code_history), register status, record creation time and the k-th dose given (date,
-- validity, timeliness). The people behind any township x dose cell for any T.
with child_doses as (

    select * from {{ ref('fct_child_scheduled_doses') }}

),

recipients as (

    select * from {{ ref('dim_recipients') }}

),

final as (

    select
        child_doses.child_dose_id,
        child_doses.recipient_id,
        recipients.recipient_name,
        recipients.sex,
        child_doses.birth_date,
        recipients.created_at,
        recipients.register_status,
        recipients.register_group,
        recipients.is_local,
        recipients.residence_township_code,
        recipients.household_township_code,
        recipients.managing_unit_id,
        child_doses.category_code,
        child_doses.category_name,
        child_doses.dose_no,
        child_doses.due_date,
        child_doses.completion_date,
        child_doses.vaccination_id,
        child_doses.vaccination_date,
        child_doses.is_valid_dose,
        child_doses.is_timely
    from child_doses
    inner join recipients
        on child_doses.recipient_id = recipients.recipient_id

)

select * from final
