-- 冷链设备温度监测情况: per device, readings, reporting gaps, late uploads, excursions, and whether it stopped
-- reporting. "Now" for the stopped test is var('coldchain_evaluation_at'), else the latest measurement in the
-- feed (not the latest upload: one late upload must not make every other device look silent).
with readings as (

    select * from {{ ref('fct_coldchain_readings') }}

),

excursions as (

    select * from {{ ref('rpt_coldchain_excursions') }}

),

devices as (

    select * from {{ ref('stg_coldchain__device') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

evaluation as (

    select
        {%- set evaluation_at = var('coldchain_evaluation_at') %}
        coalesce(
            {{ "'" ~ evaluation_at ~ "'::timestamptz" if evaluation_at else 'null::timestamptz' }},
            max(measured_at)
        ) as evaluated_at
    from readings

),

gaps as (

    select
        vendor,
        device_id,
        extract(epoch from measured_at - lag(measured_at) over (
            partition by vendor, device_id order by measured_at
        )) / 60.0 as gap_minutes
    from readings

),

gap_stats as (

    select
        vendor,
        device_id,
        count(*) filter (
            where gap_minutes > {{ var('coldchain_expected_interval_minutes') }} * {{ var('coldchain_gap_factor') }}
        ) as gaps,
        max(gap_minutes) as longest_gap_minutes
    from gaps
    group by vendor, device_id

),

reading_stats as (

    select
        vendor,
        device_id,
        count(*) as readings,
        min(temperature_c) as lowest_c,
        max(temperature_c) as highest_c,
        count(*) filter (where is_out_of_range) as readings_out_of_range,
        count(*) filter (where is_late_upload) as late_uploads,
        max(measured_at) as last_measured_at
    from readings
    group by vendor, device_id

),

excursion_stats as (

    select
        vendor,
        device_id,
        count(*) as excursions,
        count(*) filter (where is_alert) as alert_excursions,
        coalesce(sum(duration_minutes) filter (where is_alert), 0) as alert_minutes
    from excursions
    group by vendor, device_id

),

final as (

    select
        devices.vendor,
        devices.device_id,
        devices.device_name,
        devices.device_type,
        coalesce(
            devices.min_c,
            case
                when devices.device_type = 'freezer' then {{ var('coldchain_freezer_min_c') }}
                else {{ var('coldchain_default_min_c') }}
            end
        ) as min_c,
        coalesce(
            devices.max_c,
            case
                when devices.device_type = 'freezer' then {{ var('coldchain_freezer_max_c') }}
                else {{ var('coldchain_default_max_c') }}
            end
        ) as max_c,
        devices.unit_id,
        units.unit_name,
        units.county_code,
        units.county_name,
        units.city_code,
        units.city_name,
        coalesce(reading_stats.readings, 0) as readings,
        reading_stats.lowest_c,
        reading_stats.highest_c,
        coalesce(reading_stats.readings_out_of_range, 0) as readings_out_of_range,
        coalesce(reading_stats.late_uploads, 0) as late_uploads,
        coalesce(gap_stats.gaps, 0) as gaps,
        gap_stats.longest_gap_minutes,
        coalesce(excursion_stats.excursions, 0) as excursions,
        coalesce(excursion_stats.alert_excursions, 0) as alert_excursions,
        coalesce(excursion_stats.alert_minutes, 0) as alert_minutes,
        reading_stats.last_measured_at,
        evaluation.evaluated_at,
        extract(epoch from evaluation.evaluated_at - reading_stats.last_measured_at) / 60.0 as silent_minutes,
        coalesce(
            evaluation.evaluated_at - reading_stats.last_measured_at
            > interval '1 minute' * {{ var('coldchain_stopped_minutes') }},
            true
        ) as is_stopped
    from devices
    cross join evaluation
    left join reading_stats
        on devices.vendor = reading_stats.vendor and devices.device_id = reading_stats.device_id
    left join gap_stats
        on devices.vendor = gap_stats.vendor and devices.device_id = gap_stats.device_id
    left join excursion_stats
        on devices.vendor = excursion_stats.vendor and devices.device_id = excursion_stats.device_id
    left join units
        on devices.unit_id = units.unit_id

)

select * from final
