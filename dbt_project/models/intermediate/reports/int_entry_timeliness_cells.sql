{{ dose_day_follower_config(['vaccination_date', 'unit_id', 'vaccine_code']) }}
-- 实种及时统计 cells (DOMAIN §8.1): per vaccination date x unit x vaccine, records, exclusions, entry
-- buckets, timely entries and uploads; the stored part of rpt_entry_timeliness (a view that adds the names
-- and regions). Follows int_vaccinations by (vaccination date, unit) (macros dose_day_follower.sql).
with details as (

    {{ changed_dose_day_rows(ref('rpt_entry_timeliness_detail')) }}

),

final as (

    select
        vaccination_date,
        unit_id,
        vaccine_code,
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
        count(*) filter (where is_counted and is_upload_timely) as upload_timely
    from details
    group by vaccination_date, unit_id, vaccine_code

)

select * from final
