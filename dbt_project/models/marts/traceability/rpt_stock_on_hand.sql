{{ config(
    materialized='view',
    post_hook=[access_scoped_view()],
) }}

-- 实时库存: stock of every unit and batch after all movements up to the evaluation date.
-- fct_stock_balances (totals over every movement, incremental, with the names) where the pair's last
-- movement is on or before the evaluation date; the pairs that moved after it (an evaluation date in the
-- past) are summed from the ledger up to that date instead.
-- Scoped by its own where clause (macro access_scoped_view_filter, docs/access.md).
with balances as (

    select * from {{ ref('fct_stock_balances') }}

),

ledger as (

    select * from {{ ref('int_stock_ledger') }}

),

totals as (

    select
        balances.*,
        coalesce(up_to_date.stock_quantity, balances.stock_quantity) as stock_quantity_up_to_date,
        coalesce(up_to_date.stock_dose_quantity, balances.stock_dose_quantity) as stock_dose_quantity_up_to_date,
        coalesce(up_to_date.min_balance, balances.min_balance) as min_balance_up_to_date,
        coalesce(up_to_date.last_movement_date, balances.last_movement_date) as last_movement_date_up_to_date
    from balances
    left join
        lateral (
            -- evaluated only for a pair that moved after the evaluation date (an outer-only condition
            -- inside the subquery, so the other pairs do not read the ledger)
            select
                sum(ledger.signed_quantity) as stock_quantity,
                sum(ledger.signed_dose_quantity) as stock_dose_quantity,
                min(ledger.balance_after) as min_balance,
                max(ledger.doc_date) as last_movement_date
            from ledger
            where
                balances.last_movement_date > {{ evaluation_date() }}
                and ledger.unit_id = balances.unit_id
                and ledger.batch_id is not distinct from balances.batch_id
                and ledger.doc_date <= {{ evaluation_date() }}
        ) as up_to_date
        on true
    where
        balances.last_movement_date <= {{ evaluation_date() }}
        or up_to_date.last_movement_date is not null

),

final as (

    select
        unit_id,
        unit_name,
        unit_type,
        parent_unit_id,
        region_code,
        county_code,
        city_code,
        batch_id,
        spec_id,
        spec_name,
        vaccine_code,
        vaccine_name,
        manufacturer_code,
        manufacturer_name,
        batch_no,
        expiry_date,
        lot_release_no,
        is_nip,
        stock_quantity_up_to_date as stock_quantity,
        stock_dose_quantity_up_to_date as stock_dose_quantity,
        min_balance_up_to_date as min_balance,
        last_movement_date_up_to_date as last_movement_date,
        expiry_date < {{ evaluation_date() }} as is_expired,
        expiry_date between {{ evaluation_date() }}
        and {{ evaluation_date() }} + {{ var('expiring_soon_days') }} as is_expiring_soon,
        min_balance_up_to_date < 0 as has_negative_balance
    from totals

)

select * from final
where {{ access_scoped_view_filter('region_code', 'vaccine_code') }}
