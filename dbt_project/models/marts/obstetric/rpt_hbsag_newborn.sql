-- 产科 HBsAg 阳性母亲所生儿童乙肝接种率 (summary for dashboards): counts per managing clinic, cohort
-- (positive / unknown), birth month, age group and register group; rates = numerator / cohort_size.
with detail as (

    select * from {{ ref('rpt_hbsag_newborn_detail') }}

),

final as (

    select
        unit_id,
        max(unit_name) as unit_name,
        max(unit_county_code) as unit_county_code,
        max(unit_city_code) as unit_city_code,
        hbsag_cohort,
        date_trunc('month', birth_date)::date as birth_month,
        age_group,
        register_group,
        count(*) as cohort_size,
        count(*) filter (where is_hepb1_12h) as hepb1_12h,
        count(*) filter (where is_hepb1_24h) as hepb1_24h,
        count(*) filter (where is_hbig_12h) as hbig_12h,
        count(*) filter (where is_both_12h) as both_12h,
        count(*) filter (where is_full_course_eligible) as full_course_eligible,
        count(*) filter (where is_full_course) as full_course,
        count(*) filter (where is_full_course_timely) as full_course_timely
    from detail
    group by unit_id, hbsag_cohort, date_trunc('month', birth_date), age_group, register_group

)

select * from final
