-- 实种及时统计表 (DOMAIN §8.1): per vaccination date x unit x vaccine, records, exclusions, entry
-- buckets, timely entries and uploads. All measures are counts of dose records and add up.
with details as (

    select * from {{ ref('rpt_entry_timeliness_detail') }}

),

final as (

    select
        {{ surrogate_key(['vaccination_date', 'unit_id', 'vaccine_code']) }} as cell_id,
        vaccination_date,
        unit_id,
        max(unit_name) as unit_name,
        max(unit_township_code) as unit_township_code,
        max(unit_county_code) as unit_county_code,
        max(unit_city_code) as unit_city_code,
        vaccine_code,
        max(vaccine_name) as vaccine_name,
        count(*) as records,
        count(*) filter (where is_back_entered) as back_entered,
        count(*) filter (where is_entry_before_vaccination) as entry_before_vaccination,
        count(*) filter (where is_counted) as counted,
        count(*) filter (where entry_bucket = 'same_day') as same_day,
        count(*) filter (where entry_bucket = 'within_threshold') as within_threshold,
        count(*) filter (where entry_bucket = 'within_7d') as within_7d,
        count(*) filter (where entry_bucket = 'over_7d') as over_7d,
        count(*) filter (where is_entry_timely) as entry_timely,
        count(*) filter (where is_counted and is_uploaded) as uploaded,
        count(*) filter (where is_counted and is_upload_timely) as upload_timely,
        {{ var('entry_timely_hours') }} as entry_timely_hours,
        {{ var('upload_timely_hours') }} as upload_timely_hours,
        {{ var('back_entry_days') }} as back_entry_days
    from details
    group by vaccination_date, unit_id, vaccine_code

)

select * from final
