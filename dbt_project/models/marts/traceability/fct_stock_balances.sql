{{ config(
    materialized='view',
    post_hook=[access_scoped_view()],
) }}

-- 库存余额: every unit and batch with its totals over every movement (int_stock_on_hand, incremental), and
-- what describes them (the unit and its regions, the batch, specification, vaccine, manufacturer).
-- The stock on any date is these totals less the lines after that date: 下级库存统计表 reads the few lines
-- after its date instead of summing the province's ledger (vaxdw.reports.stock.query_subordinate_stock);
-- rpt_stock_on_hand is this at the evaluation date.
-- Scoped by its own where clause (macro access_scoped_view_filter, docs/access.md).
with stored as (

    select * from {{ ref('int_stock_on_hand') }}

),

batches as (

    select * from {{ ref('int_stock_batch_attributes') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

final as (

    -- (text like the aggregates that used to produce these columns: the marts' types do not change)
    select
        stored.unit_id,
        units.unit_name::text as unit_name,
        units.unit_type::text as unit_type,
        units.parent_unit_id::text as parent_unit_id,
        ({{ unit_region_code("units") }})::text as region_code,
        units.county_code::text as county_code,
        units.city_code::text as city_code,
        stored.batch_id,
        batches.spec_id::text as spec_id,
        batches.spec_name::text as spec_name,
        batches.vaccine_code::text as vaccine_code,
        batches.vaccine_name::text as vaccine_name,
        batches.manufacturer_code::text as manufacturer_code,
        batches.manufacturer_name::text as manufacturer_name,
        batches.batch_no::text as batch_no,
        batches.expiry_date,
        batches.lot_release_no::text as lot_release_no,
        batches.is_nip,
        stored.stock_quantity,
        stored.stock_dose_quantity,
        stored.min_balance,
        stored.first_movement_date,
        stored.last_movement_date
    from stored
    left join batches
        on stored.batch_id = batches.batch_id
    left join units
        on stored.unit_id = units.unit_id

)

select * from final
where {{ access_scoped_view_filter('region_code', 'vaccine_code') }}
