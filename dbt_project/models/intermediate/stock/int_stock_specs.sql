-- 疫苗品规 merged from the operational source and the collaborative platform's basic-information pushes.
-- The platform's specification code is the same 品规编码 as ops.product_spec.spec_id. Precedence: the
-- operational source is the province's system of record, so its value wins for every attribute it has; the
-- platform only fills attributes the source leaves empty, and adds specifications the source does not know.
-- spec_source: 'ops' (source only), 'ops+collab' (both), 'collab' (pushed by the platform only).
with ops_specs as (

    select * from {{ ref('stg_ops__product_spec') }}

),

collab_items as (

    select * from {{ ref('stg_collab__item') }}

),

collab_products as (

    select
        item_key as product_code,
        payload ->> 'vaccine_code' as vaccine_code,
        payload ->> 'manufacturer_code' as manufacturer_code,
        payload ->> 'product_name' as product_name,
        (payload ->> 'is_nip')::boolean as is_nip
    from collab_items
    where item_type = 'product'

),

collab_specs as (

    select
        collab_items.item_key as spec_id,
        collab_items.payload ->> 'product_code' as product_code,
        (collab_items.payload ->> 'doses_per_unit')::integer as doses_per_unit,
        (collab_items.payload ->> 'dose_ml')::numeric as dose_volume_ml,
        collab_items.payload ->> 'package_unit' as package_unit,
        collab_products.vaccine_code,
        collab_products.manufacturer_code,
        collab_products.product_name,
        collab_products.is_nip
    from collab_items
    left join collab_products
        on collab_items.payload ->> 'product_code' = collab_products.product_code
    where collab_items.item_type = 'specification'

),

final as (

    select
        coalesce(ops_specs.spec_id, collab_specs.spec_id) as spec_id,
        coalesce(ops_specs.vaccine_code, collab_specs.vaccine_code) as vaccine_code,
        coalesce(ops_specs.manufacturer_code, collab_specs.manufacturer_code) as manufacturer_code,
        coalesce(
            ops_specs.spec_name,
            collab_specs.dose_volume_ml::text || 'ml/' || coalesce(collab_specs.package_unit, '支')
        ) as spec_name,
        coalesce(ops_specs.dose_volume_ml, collab_specs.dose_volume_ml) as dose_volume_ml,
        coalesce(ops_specs.doses_per_unit, collab_specs.doses_per_unit) as doses_per_unit,
        coalesce(ops_specs.package_unit, collab_specs.package_unit) as package_unit,
        coalesce(ops_specs.is_nip, collab_specs.is_nip) as is_nip,
        ops_specs.drug_id_code,
        collab_specs.product_code as collab_product_code,
        case
            when collab_specs.spec_id is null then 'ops'
            when ops_specs.spec_id is null then 'collab'
            else 'ops+collab'
        end as spec_source
    from ops_specs
    full outer join collab_specs
        on ops_specs.spec_id = collab_specs.spec_id

)

select * from final
