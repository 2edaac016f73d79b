{{ dose_day_follower_config(
    ['vaccination_date', 'unit_id', 'recipient_id'],
    sources=[{'model': 'stg_ops__observation', 'date': 'visit_date', 'unit': 'unit_id'}],
    log_changes=true,
    indexes=[{'columns': ['unit_id']}],
) }}
-- 留观率 明细 (DOMAIN §8.3), the stored part of rpt_observation_detail (a view that adds the unit's names and
-- regions): one row per vaccination visit with its observation record (the longest one when several) and
-- whether observation was completed: obs_end - last dose time >= var('observation_minutes') minutes, or an
-- AEFI recorded during it. Follows int_vaccinations and the observation records by (vaccination date,
-- unit), and logs its changes for rpt_observation (macros dose_day_follower.sql).
with visits as (

    {{ changed_dose_day_rows(ref('int_vaccination_visits')) }}

),

observations as (

    select
        *,
        row_number() over (
            partition by recipient_id, unit_id, visit_date
            order by obs_end_at desc nulls last, observation_id asc
        ) as observation_rank
    from ({{ changed_dose_day_rows(ref('stg_ops__observation'), date='visit_date') }}) as observations
    where not is_deleted

),

final as (

    select
        {{ visit_columns('visits') }},
        observations.observation_id,
        observations.obs_start_at,
        observations.obs_end_at,
        coalesce(observations.has_aefi, false) as has_aefi,
        round(extract(epoch from observations.obs_end_at - visits.last_vaccinated_at) / 60.0, 2)
            as minutes_after_last_dose,
        observations.observation_id is not null as is_observation_recorded,
        coalesce(
            observations.has_aefi
            or observations.obs_end_at - visits.last_vaccinated_at
            >= make_interval(mins => {{ var('observation_minutes') }}),
            false
        ) as is_observation_completed,
        coalesce(observations.obs_end_at < observations.obs_start_at, false) as is_end_before_start
    from visits
    left join observations
        on
            visits.recipient_id = observations.recipient_id
            and visits.unit_id = observations.unit_id
            and visits.vaccination_date = observations.visit_date
            and observations.observation_rank = 1

)

select * from final
