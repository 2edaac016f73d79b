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
        units.township_code as unit_township_code,
        units.township_name as unit_township_name,
        units.county_code as unit_county_code,
        units.county_name as unit_county_name,
        units.city_code as unit_city_code,
        units.city_name as unit_city_name,
        units.province_code as unit_province_code,
        units.province_name as unit_province_name,
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
