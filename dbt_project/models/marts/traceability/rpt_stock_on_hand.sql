{{ config(
    materialized='view',
    post_hook=[access_scoped_view()],
) }}

-- 实时库存: stock of every unit and batch after all movements up to the evaluation date.
-- A view over int_stock_on_hand (totals per unit and batch, incremental); the pairs that moved after the
-- evaluation date (an evaluation date in the past) are summed from the ledger up to that date instead.
-- Scoped by its own where clause (macro access_scoped_view_filter, docs/access.md).
with stored as (

    select * from {{ ref('int_stock_on_hand') }}

),

ledger as (

    select * from {{ ref('int_stock_ledger') }}

),

totals as (

    select
        unit_id,
        batch_id,
        stock_quantity,
        stock_dose_quantity,
        min_balance,
        last_movement_date
    from stored
    where last_movement_date <= {{ evaluation_date() }}
    union all
    select
        moved_later.unit_id,
        moved_later.batch_id,
        up_to_date.stock_quantity,
        up_to_date.stock_dose_quantity,
        up_to_date.min_balance,
        up_to_date.last_movement_date
    from stored as moved_later
    cross join
        lateral (
            select
                sum(ledger.signed_quantity) as stock_quantity,
                sum(ledger.signed_dose_quantity) as stock_dose_quantity,
                min(ledger.balance_after) as min_balance,
                max(ledger.doc_date) as last_movement_date
            from ledger
            where
                ledger.unit_id = moved_later.unit_id
                and ledger.batch_id is not distinct from moved_later.batch_id
                and ledger.doc_date <= {{ evaluation_date() }}
        ) as up_to_date
    where moved_later.last_movement_date > {{ evaluation_date() }} and up_to_date.last_movement_date is not null

),

batches as (

    select * from {{ ref('int_stock_batch_attributes') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

final as (

    -- (text like the aggregates that used to produce these columns: the mart's types do not change)
    select
        totals.unit_id,
        units.unit_name::text as unit_name,
        units.unit_type::text as unit_type,
        units.parent_unit_id::text as parent_unit_id,
        ({{ unit_region_code("units") }})::text as region_code,
        units.county_code::text as county_code,
        units.city_code::text as city_code,
        totals.batch_id,
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
        totals.stock_quantity,
        totals.stock_dose_quantity,
        totals.min_balance,
        totals.last_movement_date,
        batches.expiry_date < {{ evaluation_date() }} as is_expired,
        batches.expiry_date between {{ evaluation_date() }}
        and {{ evaluation_date() }} + {{ var('expiring_soon_days') }} as is_expiring_soon,
        totals.min_balance < 0 as has_negative_balance
    from totals
    left join batches
        on totals.batch_id = batches.batch_id
    left join units
        on totals.unit_id = units.unit_id

)

select * from final
where {{ access_scoped_view_filter('region_code', 'vaccine_code') }}
