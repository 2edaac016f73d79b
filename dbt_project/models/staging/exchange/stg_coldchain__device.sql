-- Cold-chain monitoring devices as the vendors list them (latest listing per vendor and device).
with source as (

    {{ relation_or_empty('raw', 'coldchain_device', {
        'vendor': 'text', 'device_id': 'text', 'unit_id': 'text', 'device_name': 'text', 'device_type': 'text',
        'min_c': 'numeric', 'max_c': 'numeric', '_load_id': 'bigint'}) }}

),

ranked as (

    select
        *,
        row_number() over (partition by vendor, device_id order by _load_id desc) as version_rank
    from source

),

final as (

    select
        vendor,
        device_id,
        unit_id,
        device_name,
        device_type,
        min_c,
        max_c,
        _load_id
    from ranked
    where version_rank = 1

)

select * from final
