{{ config(materialized='view') }}

-- What describes a batch in the stock marts: its specification, vaccine and manufacturer with their names.
-- One row per batch of int_stock_batches; a view, joined where the ledger's lines are read
-- (fct_stock_movements, rpt_stock_on_hand).
with batches as (

    select * from {{ ref('int_stock_batches') }}

),

specs as (

    select * from {{ ref('int_stock_specs') }}

),

vaccines as (

    select * from {{ ref('stg_ops__vaccine') }}

),

manufacturers as (

    select * from {{ ref('stg_ops__manufacturer') }}

),

final as (

    select
        batches.batch_id,
        batches.batch_no,
        batches.expiry_date,
        batches.lot_release_no,
        specs.spec_id,
        specs.spec_name,
        specs.vaccine_code,
        vaccines.vaccine_name,
        specs.manufacturer_code,
        manufacturers.manufacturer_name,
        specs.is_nip,
        specs.doses_per_unit,
        specs.package_unit
    from batches
    left join specs
        on batches.spec_id = specs.spec_id
    left join vaccines
        on specs.vaccine_code = vaccines.vaccine_code
    left join manufacturers
        on specs.manufacturer_code = manufacturers.manufacturer_code

)

select * from final
