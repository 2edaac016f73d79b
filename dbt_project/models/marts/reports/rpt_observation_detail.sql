{{ config(materialized='view') }}
-- 留观率 明细 (DOMAIN §8.3): one row per vaccination visit = recipient x unit x vaccination date, with
-- its observation record (the longest one when several) and whether observation was completed:
-- obs_end - last dose time >= var('observation_minutes') minutes, or an AEFI recorded during it.
-- A view: the rows are stored in int_observation_visits (incremental by vaccination date and unit); the
-- unit's names and regions (as of the evaluation date) are joined here.
with visits as (

    select * from {{ ref('int_observation_visits') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

final as (

    select
        {{ visit_key('visits') }} as visit_key,
        visits.recipient_id,
        visits.unit_id,
        visits.vaccination_date,
        visits.doses,
        visits.first_vaccinated_at,
        visits.last_vaccinated_at,
        {{ visit_unit_columns('units') }},
        visits.register_status,
        visits.register_group,
        visits.observation_id,
        visits.obs_start_at,
        visits.obs_end_at,
        visits.has_aefi,
        visits.minutes_after_last_dose,
        visits.is_observation_recorded,
        visits.is_observation_completed,
        visits.is_end_before_start
    from visits
    left join units
        on visits.unit_id = units.unit_id

)

select * from final
