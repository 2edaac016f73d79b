{{ config(materialized='view') }}
-- Current recipients: latest version, not deleted, register status 5 (删除) excluded (DOMAIN §8).
-- A view over int_recipients_corrected (incremental by recipient, a unique index on recipient_id) that joins
-- the code tables, the managing unit and the township resolutions, which follow the evaluation date: a table
-- here was a second copy of every recipient, rewritten on every run.
with recipients as (

    select * from {{ ref('int_recipients_corrected') }}
    where not is_deleted

),

register_statuses as (

    select * from {{ ref('ref_register_status') }}

),

sexes as (

    select * from {{ ref('ref_sex') }}

),

resolved_townships as (

    select * from {{ ref('int_township_codes_resolved') }}

),

units as (

    select * from {{ ref('int_units_placed_in_regions') }}

),

final as (

    select
        recipients.recipient_id,
        recipients.recipient_name,
        recipients.id_number,
        recipients.sex,
        sexes.sex_name,
        recipients.birth_at,
        recipients.birth_at::date as birth_date,
        recipients.birth_weight,
        recipients.mother_name,
        recipients.mother_hbsag,
        recipients.is_local,
        recipients.register_status,
        register_statuses.register_status_name,
        register_statuses.register_group,
        register_statuses.register_group_name,
        recipients.household_township_code,
        coalesce(household_townships.resolved_township_code, recipients.household_township_code)
            as household_township_code_resolved,
        recipients.residence_township_code,
        coalesce(residence_townships.resolved_township_code, recipients.residence_township_code)
            as residence_township_code_resolved,
        coalesce(residence_townships.is_split_resolved, false) as is_residence_split_resolved,
        recipients.managing_unit_id,
        units.unit_name as managing_unit_name,
        units.township_code as managing_township_code,
        units.county_code as managing_county_code,
        units.city_code as managing_city_code,
        recipients.created_at,
        recipients.updated_at,
        recipients._load_id
    from recipients
    left join register_statuses
        on recipients.register_status = register_statuses.register_status
    left join sexes
        on recipients.sex = sexes.sex
    left join resolved_townships as household_townships
        on recipients.household_township_code = household_townships.township_code
    left join resolved_townships as residence_townships
        on recipients.residence_township_code = residence_townships.township_code
    left join units
        on recipients.managing_unit_id = units.unit_id
    where coalesce(recipients.register_status <> 5, true)

)

select * from final
