with source as (

    {{ current_rows(source('ops', 'product_spec')) }}

),

final as (

    select
        spec_id,
        vaccine_code,
        manufacturer_code,
        spec_name,
        dose_volume_ml,
        doses_per_unit,
        package_unit,
        is_nip,
        drug_id_code,
        updated_at,
        _load_id,
        _loaded_at
    from source

)

select * from final
