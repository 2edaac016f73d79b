{{ config(materialized='view') }}
-- 实种情况统计表 (DOMAIN §8.2): doses and distinct persons per vaccination date x unit x vaccine x
-- dose number x manufacturer. Doses add up across cells; persons do not (count distinct again).
-- A view: the counts are stored in int_shizhong_cells (incremental by vaccination date and unit); the
-- names and the unit's regions (as of the evaluation date) are joined here.
with cells as (

    select * from {{ ref('int_shizhong_cells') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

vaccines as (

    select * from {{ ref('stg_ops__vaccine') }}

),

manufacturers as (

    select * from {{ ref('stg_ops__manufacturer') }}

),

final as (

    select
        {{ surrogate_key([
            'cells.vaccination_date',
            'cells.unit_id',
            'cells.vaccine_code',
            'cells.dose_no',
            'cells.manufacturer_code',
        ]) }} as cell_id,
        cells.vaccination_date,
        cells.unit_id,
        units.unit_name,
        units.township_code as unit_township_code,
        units.county_code as unit_county_code,
        units.city_code as unit_city_code,
        cells.vaccine_code,
        vaccines.vaccine_name,
        cells.dose_no,
        cells.manufacturer_code,
        manufacturers.manufacturer_name,
        cells.is_non_vaccine_product,
        cells.doses,
        cells.persons
    from cells
    left join units
        on cells.unit_id = units.unit_id
    left join vaccines
        on cells.vaccine_code = vaccines.vaccine_code
    left join manufacturers
        on cells.manufacturer_code = manufacturers.manufacturer_code

)

select * from final
