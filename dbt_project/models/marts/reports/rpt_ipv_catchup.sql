-- IPV补种剂次统计表 (DOMAIN §8.7): per campaign x managing unit, eligible children, children needing
-- 2 / 1 / 0 doses, catch-up doses given (1st, 2nd), children completed. All counts add up.
with details as (

    select * from {{ ref('rpt_ipv_catchup_detail') }}

),

final as (

    select
        {{ surrogate_key(['campaign_id', 'managing_unit_id']) }} as cell_id,
        campaign_id,
        managing_unit_id,
        max(managing_unit_name) as managing_unit_name,
        max(township_code) as township_code,
        max(county_code) as county_code,
        max(city_code) as city_code,
        count(*) as eligible,
        count(*) filter (where doses_needed = 2) as need_2,
        count(*) filter (where doses_needed = 1) as need_1,
        count(*) filter (where doses_needed = 0) as need_0,
        count(*) filter (where doses_needed > 0) as needing,
        count(catchup1_vaccination_id) as dose1_given,
        count(catchup2_vaccination_id) as dose2_given,
        count(*) filter (where is_completed) as completed,
        count(*) filter (where doses_needed > 0 and counts_in_schedule) as needing_in_schedule
    from details
    group by campaign_id, managing_unit_id

)

select * from final
