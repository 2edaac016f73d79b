{{ config(indexes=[{'columns': ['vaccination_date']}, {'columns': ['unit_id']}]) }}
-- 留观率 明细 (DOMAIN §8.3): one row per vaccination visit = recipient x unit x vaccination date, with
-- its observation record (the longest one when several) and whether observation was completed:
-- obs_end - last dose time >= var('observation_minutes') minutes, or an AEFI recorded during it.
with doses as (

    select * from {{ ref('fct_vaccinations') }}

),

observations as materialized (

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

    select
        recipient_id,
        unit_id,
        vaccination_date,
        count(*) as doses,
        min(vaccinated_at) as first_vaccinated_at,
        max(vaccinated_at) as last_vaccinated_at,
        max(unit_name) as unit_name,
        max(unit_township_code) as unit_township_code,
        max(unit_township_name) as unit_township_name,
        max(unit_county_code) as unit_county_code,
        max(unit_county_name) as unit_county_name,
        max(unit_city_code) as unit_city_code,
        max(unit_city_name) as unit_city_name,
        max(unit_province_code) as unit_province_code,
        max(unit_province_name) as unit_province_name,
        max(register_status) as register_status,
        max(register_group) as register_group
    from doses
    where unit_id is not null
    group by recipient_id, unit_id, vaccination_date

),

final as (

    select
        {{ surrogate_key(['visits.recipient_id', 'visits.unit_id', 'visits.vaccination_date']) }} as visit_key,
        visits.*,
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
