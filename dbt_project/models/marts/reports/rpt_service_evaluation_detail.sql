{{ config(indexes=[{'columns': ['evaluation_date']}, {'columns': ['unit_id']}]) }}
-- 门诊服务评价 明细: one row per non-deleted evaluation with the unit's regions; ratings outside 1-5
-- are kept and flagged (is_rating_valid = false).
with evaluations as (

    select * from {{ ref('stg_ops__service_evaluation') }}
    where not is_deleted

),

units as (

    select * from {{ ref('dim_unit') }}

),

final as (

    select
        evaluations.evaluation_id,
        evaluations.recipient_id,
        evaluations.unit_id,
        units.unit_name,
        {{ unit_region_columns('units') }},
        evaluations.visit_date,
        evaluations.evaluated_at,
        evaluations.evaluated_at::date as evaluation_date,
        evaluations.is_active,
        evaluations.rating,
        coalesce(evaluations.rating between 1 and 5, false) as is_rating_valid,
        evaluations.comment
    from evaluations
    left join units
        on evaluations.unit_id = units.unit_id

)

select * from final
