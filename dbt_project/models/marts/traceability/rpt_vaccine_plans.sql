{{ config(post_hook=[access_scoped('region_code', 'vaccine_code')]) }}

-- 计划上报 / 汇总: every plan with its unit and region; the parent's summary is grouped from this.
with plans as (

    select * from {{ ref('stg_ops__vaccine_plan') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

vaccines as (

    select * from {{ ref('stg_ops__vaccine') }}

),

final as (

    select
        plans.plan_id,
        plans.unit_id,
        units.unit_name,
        {{ unit_region_code("units") }} as region_code,
        plans.parent_unit_id,
        plans.period_type,
        plans.period_start,
        plans.vaccine_code,
        vaccines.vaccine_name,
        plans.is_nip,
        plans.planned_quantity,
        plans.adjusted_quantity,
        coalesce(plans.adjusted_quantity, plans.planned_quantity) as approved_quantity,
        plans.adjust_reason,
        plans.status,
        plans.submitted_at
    from plans
    left join units
        on plans.unit_id = units.unit_id
    left join vaccines
        on plans.vaccine_code = vaccines.vaccine_code

)

select * from final
