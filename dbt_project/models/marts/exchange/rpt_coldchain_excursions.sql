-- 温度超标事件: consecutive out-of-range readings of a device form one excursion. It starts at the first
-- out-of-range reading and ends at the next in-range reading (or, while it lasts, the latest reading);
-- it raises an alert when it lasts at least var('coldchain_excursion_minutes').
with readings as (

    select * from {{ ref('fct_coldchain_readings') }}

),

flagged as (

    select
        *,
        lag(is_out_of_range) over (partition by vendor, device_id order by measured_at) as previous_out,
        lead(measured_at) over (partition by vendor, device_id order by measured_at) as next_measured_at
    from readings

),

numbered as (

    select
        *,
        sum(case when is_out_of_range and coalesce(not previous_out, true) then 1 else 0 end)
            over (partition by vendor, device_id order by measured_at) as excursion_no
    from flagged

),

excursions as (

    select
        vendor,
        device_id,
        excursion_no,
        min(measured_at) as started_at,
        max(measured_at) as last_out_at,
        max(next_measured_at) filter (where next_measured_at is not null) as next_after_last,
        count(*) as readings_out,
        max(temperature_c) as highest_c,
        min(temperature_c) as lowest_c
    from numbered
    where is_out_of_range
    group by vendor, device_id, excursion_no

),

devices as (

    select distinct on (vendor, device_id)
        vendor,
        device_id,
        device_name,
        unit_id,
        unit_name,
        county_name,
        city_name,
        min_c,
        max_c
    from readings
    order by vendor asc, device_id asc, measured_at desc

),

final as (

    select
        excursions.vendor,
        excursions.device_id,
        devices.device_name,
        devices.unit_id,
        devices.unit_name,
        devices.county_name,
        devices.city_name,
        devices.min_c,
        devices.max_c,
        excursions.started_at,
        -- the next reading after the last out-of-range one is back in range; none yet: still ongoing
        coalesce(
            case when excursions.next_after_last > excursions.last_out_at then excursions.next_after_last end,
            excursions.last_out_at
        ) as ended_at,
        excursions.readings_out,
        case when excursions.highest_c > devices.max_c then 'high' else 'low' end as direction,
        case when excursions.highest_c > devices.max_c then excursions.highest_c else excursions.lowest_c end
            as extreme_c
    from excursions
    inner join devices
        on excursions.vendor = devices.vendor and excursions.device_id = devices.device_id

)

select
    *,
    extract(epoch from ended_at - started_at) / 60.0 as duration_minutes,
    extract(epoch from ended_at - started_at) / 60.0 >= {{ var('coldchain_excursion_minutes') }} as is_alert
from final
