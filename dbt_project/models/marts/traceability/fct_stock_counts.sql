{{ config(
    materialized='view',
    post_hook=[access_scoped_view()],
) }}

-- 盘点实盘数 vs 账面结存: one row per unit, batch and count date of the unit (int_stock_counts, incremental),
-- with names and dose quantities. Scoped by its own where clause (macro access_scoped_view_filter).
with stored as (

    select * from {{ ref('int_stock_counts') }}

),

batches as (

    select * from {{ ref('stg_ops__vaccine_batch') }}

),

specs as (

    select * from {{ ref('stg_ops__product_spec') }}

),

vaccines as (

    select * from {{ ref('stg_ops__vaccine') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

final as (

    select
        combined.unit_id || '|' || combined.batch_id || '|' || combined.count_date::text as count_key,
        combined.unit_id,
        units.unit_name,
        units.unit_type,
        {{ unit_region_code("units") }} as region_code,
        units.county_code,
        units.city_code,
        combined.count_date,
        combined.batch_id,
        batches.batch_no,
        batches.expiry_date,
        specs.spec_id,
        specs.spec_name,
        specs.vaccine_code,
        vaccines.vaccine_name,
        specs.manufacturer_code,
        specs.doses_per_unit,
        combined.count_id,
        combined.has_count_record,
        combined.counted_by,
        combined.remarks,
        combined.counted_quantity,
        combined.book_quantity,
        combined.counted_quantity - combined.book_quantity as discrepancy_quantity,
        combined.counted_quantity * specs.doses_per_unit as counted_dose_quantity,
        combined.book_quantity * specs.doses_per_unit as book_dose_quantity,
        (combined.counted_quantity - combined.book_quantity) * specs.doses_per_unit as discrepancy_dose_quantity,
        combined.counted_quantity <> combined.book_quantity as has_discrepancy
    from stored as combined
    left join batches
        on combined.batch_id = batches.batch_id
    left join specs
        on batches.spec_id = specs.spec_id
    left join vaccines
        on specs.vaccine_code = vaccines.vaccine_code
    left join units
        on combined.unit_id = units.unit_id

)

select * from final
where {{ access_scoped_view_filter('region_code', 'vaccine_code') }}
