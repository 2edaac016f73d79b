{{ dose_day_follower_config(
    ['unit_id', 'vaccination_date', 'register_group'],
    follows=['int_observation_visits'],
) }}
-- 留观率统计 cells (DOMAIN §8.3): visits, observation recorded and completed per unit, vaccination date and
-- register group; the stored part of rpt_observation (a view that adds the unit's names and regions).
-- Follows int_observation_visits's log by (vaccination date, unit) (macros dose_day_follower.sql).
with visits as (

    {{ changed_dose_day_rows(ref('int_observation_visits')) }}

),

final as (

    select
        unit_id,
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
