with source as (

    select * from {{ source('ops', 'product_spec') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by spec_id
            order by updated_at desc, _load_id desc
        ) as version_rank
    from source

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
    from ranked
    where version_rank = 1

)

select * from final
