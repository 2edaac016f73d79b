-- 留观率统计表: visits, observation recorded and completed per unit and vaccination date (DOMAIN §8.3).
with visits as (

    select * from {{ ref('rpt_observation_detail') }}

),

final as (

    select
        unit_id,
        max(unit_name) as unit_name,
        max(unit_county_code) as unit_county_code,
        max(unit_city_code) as unit_city_code,
        vaccination_date,
        register_group,
        count(*) as visits,
        count(*) filter (where is_observation_recorded) as visits_recorded,
        count(*) filter (where is_observation_completed) as visits_completed,
        count(*) filter (where has_aefi) as visits_with_aefi
    from visits
    group by unit_id, vaccination_date, register_group

)

select * from final
