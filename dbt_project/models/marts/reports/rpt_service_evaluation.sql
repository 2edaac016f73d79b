-- 门诊服务评价统计: evaluations per unit and evaluation date; active ones by rating.
with evaluations as (

    select * from {{ ref('rpt_service_evaluation_detail') }}

),

final as (

    select
        unit_id,
        max(unit_name) as unit_name,
        evaluation_date,
        count(*) as evaluations,
        count(*) filter (where is_active) as active_evaluations,
        count(*) filter (where is_active and rating = 5) as rating_5,
        count(*) filter (where is_active and rating = 4) as rating_4,
        count(*) filter (where is_active and rating = 3) as rating_3,
        count(*) filter (where is_active and rating = 2) as rating_2,
        count(*) filter (where is_active and rating = 1) as rating_1,
        count(*) filter (where not is_rating_valid) as invalid_ratings
    from evaluations
    group by unit_id, evaluation_date

)

select * from final
