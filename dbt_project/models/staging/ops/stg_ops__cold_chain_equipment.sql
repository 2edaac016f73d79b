with source as (

    {{ current_rows(source('ops', 'cold_chain_equipment')) }}

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
    from source

)

select * from final
