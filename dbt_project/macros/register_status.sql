{#
    Each child's register status (在册情况) as of T = var('evaluation_date') (DOMAIN §8: "as of T" comes from the
    register-change history, not the current value). Children whose record was created after T are left out;
    a child without any change row up to T (e.g. a duplicate record) falls back to its current
    register_status, flagged is_from_history = false. recipients: a relation (recipient_id) to restrict the
    children to (their records and changes read by index), or none for all. The view
    int_register_status_as_of shows it for every child; 乡镇出生队列接种率 reads it for the children a day
    changed (macros/cohort_coverage.sql).
#}
{% macro register_status_as_of(recipients=none) %}
with recipients as (

    select * from {{ ref('stg_ops__recipient') }}
    where not is_deleted
        {%- if recipients %}
        and recipient_id in (select recipient_id from {{ recipients }})
        {%- endif %}

),

changes as (

    select * from {{ ref('stg_ops__register_change') }}
    where
        not is_deleted
        and changed_at < {{ evaluation_date() }} + 1
        {%- if recipients %}
        and recipient_id in (select recipient_id from {{ recipients }})
        {%- endif %}

),

ranked_changes as (

    select
        recipient_id,
        change_id,
        unit_id,
        previous_status,
        new_status,
        changed_at,
        reason,
        row_number() over (
            partition by recipient_id
            order by changed_at desc, change_id desc
        ) as change_rank
    from changes

),

last_changes as (

    select * from ranked_changes
    where change_rank = 1

),

register_statuses as (

    select * from {{ ref('ref_register_status') }}

),

final as (

    select
        recipients.recipient_id,
        {{ evaluation_date() }} as evaluation_date,
        coalesce(last_changes.new_status, recipients.register_status) as register_status,
        register_statuses.register_status_name,
        register_statuses.register_group,
        register_statuses.register_group_name,
        coalesce(last_changes.unit_id, recipients.managing_unit_id) as status_unit_id,
        last_changes.changed_at as status_changed_at,
        last_changes.reason as status_reason,
        last_changes.change_id as status_change_id,
        last_changes.change_id is not null as is_from_history,
        recipients.register_status as current_register_status,
        recipients.managing_unit_id as current_managing_unit_id
    from recipients
    left join last_changes
        on recipients.recipient_id = last_changes.recipient_id
    left join register_statuses
        on coalesce(last_changes.new_status, recipients.register_status) = register_statuses.register_status
    where recipients.created_at < {{ evaluation_date() }} + 1

)

select * from final
{% endmacro %}
