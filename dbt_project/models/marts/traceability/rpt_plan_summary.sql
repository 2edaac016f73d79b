{{ config(post_hook=[access_scoped('region_code', 'vaccine_code')]) }}

-- 计划汇总: per parent unit, period (month/quarter/year) and vaccine, the sum of its children's plans
-- with the parent's adjustments (the source records the adjusted quantity and reason per plan; it has
-- no adjuster or adjustment time) and the approved quantity (adjusted where adjusted, else planned).
with plans as (

    select * from {{ ref('rpt_vaccine_plans') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

summed as (

    select
        parent_unit_id,
        period_type,
        period_start,
        vaccine_code,
        max(vaccine_name) as vaccine_name,
        bool_or(is_nip) as is_nip,
        count(*) as plan_count,
        count(distinct unit_id) as child_count,
        sum(planned_quantity) as planned_quantity,
        count(*) filter (where adjusted_quantity is not null) as adjusted_plan_count,
        coalesce(sum(planned_quantity) filter (where adjusted_quantity is not null), 0)
            as adjusted_from_quantity,
        coalesce(sum(adjusted_quantity), 0) as adjusted_to_quantity,
        sum(approved_quantity) as approved_quantity,
        string_agg(distinct adjust_reason, '；' order by adjust_reason) as adjust_reasons,
        count(*) filter (where status = 'submitted') as submitted_count,
        count(*) filter (where status = 'approved') as approved_count,
        count(*) filter (where status = 'issued') as issued_count,
        max(submitted_at) as last_submitted_at
    from plans
    group by parent_unit_id, period_type, period_start, vaccine_code

),

final as (

    select
        summed.parent_unit_id,
        units.unit_name as parent_unit_name,
        {{ unit_region_code("units") }} as region_code,
        summed.period_type,
        summed.period_start,
        (case summed.period_type
            when 'month' then summed.period_start + interval '1 month'
            when 'quarter' then summed.period_start + interval '3 months'
            else summed.period_start + interval '1 year'
        end)::date - 1 as period_end,
        case summed.period_type
            when 'month' then to_char(summed.period_start, 'YYYY"年"MM"月"')
            when 'quarter' then to_char(summed.period_start, 'YYYY"年第"Q"季度"')
            else to_char(summed.period_start, 'YYYY"年"')
        end as period_label,
        summed.vaccine_code,
        summed.vaccine_name,
        summed.is_nip,
        summed.child_count,
        summed.plan_count,
        summed.planned_quantity,
        summed.adjusted_plan_count,
        summed.adjusted_from_quantity,
        summed.adjusted_to_quantity,
        summed.approved_quantity - summed.planned_quantity as adjustment_quantity,
        summed.approved_quantity,
        summed.adjust_reasons,
        summed.submitted_count,
        summed.approved_count,
        summed.issued_count,
        summed.last_submitted_at
    from summed
    left join units
        on summed.parent_unit_id = units.unit_id

)

select * from final
