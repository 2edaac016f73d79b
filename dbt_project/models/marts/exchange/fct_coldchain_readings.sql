-- One row per temperature reading with the device's unit and allowed range, and the late-upload flag.
-- Range: the device's own range from the vendor listing, else the default for its type (dbt vars).
with readings as (

    select * from {{ ref('stg_coldchain__reading') }}

),

devices as (

    select * from {{ ref('stg_coldchain__device') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

final as (

    select
        readings.vendor,
        readings.device_id,
        devices.device_name,
        coalesce(devices.device_type, 'refrigerator') as device_type,
        devices.unit_id,
        units.unit_name,
        units.county_code,
        units.county_name,
        units.city_code,
        units.city_name,
        readings.measured_at,
        (readings.measured_at at time zone '{{ var("timezone") }}')::date as measured_date,
        readings.temperature_c,
        readings.uploaded_at,
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
        extract(epoch from readings.uploaded_at - readings.measured_at) / 60.0 as upload_delay_minutes,
        coalesce(
            readings.uploaded_at - readings.measured_at
            > interval '1 minute' * {{ var('coldchain_late_upload_minutes') }},
            false
        ) as is_late_upload,
        devices.device_id is not null as is_known_device,
        readings._load_id
    from readings
    left join devices
        on readings.vendor = devices.vendor and readings.device_id = devices.device_id
    left join units
        on devices.unit_id = units.unit_id

)

select
    *,
    temperature_c < min_c or temperature_c > max_c as is_out_of_range
from final
