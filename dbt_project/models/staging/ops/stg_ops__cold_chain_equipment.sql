with source as (

    select * from {{ source('ops', 'cold_chain_equipment') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by equipment_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

),

final as (

    select
        equipment_id,
        unit_id,
        equipment_type,
        brand,
        model,
        volume_l,
        purchase_date,
        funding_source,
        in_use_date,
        location,
        status,
        scrapped_date,
        maintenance_notes,
        probe_id,
        updated_at,
        _load_id,
        _loaded_at
    from ranked
    where version_rank = 1

)

select * from final
