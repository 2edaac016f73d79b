{{ config(indexes=[{'columns': ['vaccination_date']}, {'columns': ['unit_id']}]) }}
-- 留观率 明细 (DOMAIN §8.3): one row per vaccination visit = recipient x unit x vaccination date, with
-- its observation record (the longest one when several) and whether observation was completed:
-- obs_end - last dose time >= var('observation_minutes') minutes, or an AEFI recorded during it.
with observations as materialized (

    select
        *,
        row_number() over (
            partition by recipient_id, unit_id, visit_date
            order by obs_end_at desc nulls last, observation_id asc
        ) as observation_rank
    from {{ ref('stg_ops__observation') }}
    where not is_deleted

),

visits as (

    select * from {{ ref('int_vaccination_visits') }}

),

final as (

    select
        visits.visit_key,
        visits.recipient_id,
        visits.unit_id,
        visits.vaccination_date,
        visits.doses,
        visits.first_vaccinated_at,
        visits.last_vaccinated_at,
        visits.unit_name,
        visits.unit_township_code,
        visits.unit_township_name,
        visits.unit_county_code,
        visits.unit_county_name,
        visits.unit_city_code,
        visits.unit_city_name,
        visits.unit_province_code,
        visits.unit_province_name,
        visits.register_status,
        visits.register_group,
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
