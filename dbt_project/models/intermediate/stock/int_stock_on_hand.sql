{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[{'columns': ['last_movement_date']}],
    pre_hook='{{ replace_stock_ledger_follower_pairs() }}',
    post_hook="{{ unique_key_index(['unit_id', 'batch_id']) }}",
) }}

-- 实时库存, the stored part: one row per unit and batch of the ledger with its totals over every movement,
-- and its clinic use (OUT_USE) for 出库与接种核对.
-- rpt_stock_on_hand (a view) adds the names and the flags that follow the evaluation date, and recomputes
-- from the ledger the rare pairs with movements after the evaluation date.
-- Follows the ledger by (unit, batch) through its change log (macros/stock_ledger.sql).
with ledger as (

    select * from {{ ref('int_stock_ledger') }} as ledger
    where {{ in_stock_ledger_follower_pairs('ledger') }}

),

final as (

    select
        unit_id,
        batch_id,
        sum(signed_quantity) as stock_quantity,
        sum(signed_dose_quantity) as stock_dose_quantity,
        min(balance_after) as min_balance,
        min(doc_date) as first_movement_date,
        max(doc_date) as last_movement_date,
        -- clinic use (出库与接种核对, rpt_stock_reconciliation); null without an OUT_USE line
        sum(quantity) filter (where doc_type = 'OUT_USE') as use_quantity,
        sum(dose_quantity) filter (where doc_type = 'OUT_USE') as use_dose_quantity,
        {{ stock_ledger_build() }} as _ledger_build
    from ledger
    group by unit_id, batch_id

)

select * from final
