{{ config(materialized='view') }}
-- A view: one row per dose of fct_vaccinations, computed as read (filters on vaccination_date and unit_id
-- use fct_vaccinations' indexes).
-- 实种及时统计 明细 (DOMAIN §8.1): every countable dose with its entry and upload delays, bucket and
-- flags. Back-entered records (entered more than var back_entry_days after vaccination) and records
-- entered before the vaccination time are out of the denominator (is_counted = false).
with vaccinations as (

    select * from {{ ref('fct_vaccinations') }}

),

delays as (

    select
        vaccinations.*,
        vaccinations.vaccinated_at::time <> time '00:00:00' as has_vaccination_time,
        vaccinations.entered_at::date as entry_date,
        extract(epoch from vaccinations.entered_at - vaccinations.vaccinated_at) / 60.0 as entry_delay_minutes,
        extract(epoch from vaccinations.uploaded_at - vaccinations.entered_at) / 60.0 as upload_delay_minutes,
        vaccinations.entered_at::date - vaccinations.vaccination_date as entry_delay_days
    from vaccinations

),

flagged as (

    select
        delays.*,
        delays.entered_at < delays.vaccinated_at and delays.has_vaccination_time
        or delays.entry_delay_days < 0 as is_entry_before_vaccination,
        delays.entry_delay_minutes > {{ var('back_entry_days') }} * 1440 as is_back_entered
    from delays

),

final as (

    select
        vaccination_id,
        recipient_id,
        birth_date,
        register_group,
        vaccine_code,
        vaccine_name,
        effective_dose_no as dose_no,
        vaccination_date,
        vaccinated_at,
        entry_date,
        entered_at,
        uploaded_at,
        unit_id,
        unit_name,
        unit_township_code,
        unit_county_code,
        unit_city_code,
        unit_province_code,
        round(entry_delay_minutes::numeric, 1) as entry_delay_minutes,
        round(upload_delay_minutes::numeric, 1) as upload_delay_minutes,
        is_entry_before_vaccination,
        is_back_entered and not is_entry_before_vaccination as is_back_entered,
        not is_back_entered and not is_entry_before_vaccination as is_counted,
        case
            when is_entry_before_vaccination then 'entry_before_vaccination'
            when is_back_entered then 'back_entered'
            when entry_delay_days = 0 then 'same_day'
            when has_vaccination_time and entry_delay_minutes <= {{ var('entry_timely_hours') }} * 60
                then 'within_threshold'
            when not has_vaccination_time
                and entry_delay_days <= ceil({{ var('entry_timely_hours') }} / 24.0)
                then 'within_threshold'
            when entry_delay_days <= 7 then 'within_7d'
            else 'over_7d'
        end as entry_bucket,
        not is_back_entered and not is_entry_before_vaccination and (
            case
                when has_vaccination_time then entry_delay_minutes <= {{ var('entry_timely_hours') }} * 60
                else entry_delay_days <= ceil({{ var('entry_timely_hours') }} / 24.0)
            end
        ) as is_entry_timely,
        uploaded_at is not null as is_uploaded,
        coalesce(
            uploaded_at >= entered_at and upload_delay_minutes <= {{ var('upload_timely_hours') }} * 60,
            false
        ) as is_upload_timely
    from flagged

)

select * from final
