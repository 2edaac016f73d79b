-- Temperature readings of all vendors in one model; a reading delivered twice is kept once (earliest upload).
with source as (

    {{ relation_or_empty('raw', 'coldchain_reading', {
        'vendor': 'text', 'device_id': 'text', 'measured_at': 'timestamptz', 'temperature_c': 'numeric',
        'uploaded_at': 'timestamptz', '_load_id': 'bigint'}) }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by vendor, device_id, measured_at
            order by uploaded_at nulls last, _load_id
        ) as copy_rank
    from source

),

final as (

    select
        vendor,
        device_id,
        measured_at,
        temperature_c,
        uploaded_at,
        _load_id
    from ranked
    where copy_rank = 1

)

select * from final
