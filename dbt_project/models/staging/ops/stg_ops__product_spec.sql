{{ current_state_config('spec_id') }}
with source as (

    {{ current_version(source('ops', 'product_spec'), 'spec_id') }}

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
