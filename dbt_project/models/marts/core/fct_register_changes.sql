{{ config(indexes=[{'columns': ['recipient_id']}]) }}
-- Register-change history (在册情况变更, DOMAIN §2.3, §8) for "register status as of any date T":
-- the status as of T is new_status of the change with the latest changed_at (then change_id) before
-- T + 1 day; children without a change by T keep their current status (as int_register_status_as_of).
with changes as (

    select * from {{ ref('stg_ops__register_change') }}
    where not is_deleted

),

register_statuses as (

    select * from {{ ref('ref_register_status') }}

),

final as (

    select
        changes.change_id,
        changes.recipient_id,
        changes.unit_id,
        changes.previous_status,
        changes.new_status,
        register_statuses.register_group as new_register_group,
        changes.changed_at,
        changes.reason
    from changes
    left join register_statuses
        on changes.new_status = register_statuses.register_status

)

select * from final
