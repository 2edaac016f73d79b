{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[
        {'columns': ['line_id'], 'unique': True},
        {'columns': ['unit_id', 'batch_id', 'doc_date']},
        {'columns': ['doc_id']},
        {'columns': ['doc_date']},
        {'columns': ['_derived_load_id']},
    ],
    pre_hook='{{ replace_changed_stock_pairs() }}',
) }}

-- 出入库台账: one row per stock line of a document that is not voided, the operational source's and the
-- collaborative platform's purchase lines the source does not have (int_stock_collab_purchase, negative
-- ids), with the running balance of the unit's batch after the line (by date, inbound before outbound,
-- document, line).
-- Only the ledger's own fields: names, regions, prices and fees are joined by fct_stock_movements.
-- Incremental by (unit, batch) from the earliest changed date (macros/stock_ledger.sql).
with docs as (

    select
        doc_id,
        doc_type,
        unit_id,
        doc_date,
        _load_id
    from {{ ref('stg_ops__stock_doc') }}
    where not is_deleted and {{ in_changed_stock_unit('stg_ops__stock_doc') }}

),

lines as (

    select
        stock_lines.line_id,
        docs.doc_id,
        docs.doc_type,
        docs.doc_date,
        docs.unit_id,
        stock_lines.batch_id,
        stock_lines.quantity,
        stock_lines.dose_quantity,
        greatest(stock_lines._load_id, docs._load_id) as _derived_load_id
    from {{ ref('stg_ops__stock_line') }} as stock_lines
    inner join docs
        on stock_lines.doc_id = docs.doc_id
    union all
    select
        line_id,
        doc_id,
        doc_type,
        doc_date,
        unit_id,
        batch_id,
        quantity,
        dose_quantity,
        0 as _derived_load_id
    from {{ ref('int_stock_collab_purchase') }}

),

selected as (

    select * from lines
    where {{ in_changed_stock_pairs('lines') }}

),

-- The balance of each re-derived pair's lines before its cutoff (the rows the pre-hook kept).
opening as (

    {{ stock_opening_balances() }}

),

signed as (

    select
        line_id,
        doc_id,
        doc_type,
        doc_date,
        unit_id,
        batch_id,
        doc_type like 'IN\_%' as is_in,
        quantity,
        dose_quantity,
        case when doc_type like 'IN\_%' then 1 else -1 end * quantity as signed_quantity,
        case when doc_type like 'IN\_%' then 1 else -1 end * dose_quantity as signed_dose_quantity,
        _derived_load_id
    from selected

),

final as (

    select
        signed.line_id,
        signed.doc_id,
        signed.doc_type,
        signed.doc_date,
        signed.unit_id,
        signed.batch_id,
        signed.is_in,
        signed.quantity,
        signed.dose_quantity,
        signed.signed_quantity,
        signed.signed_dose_quantity,
        coalesce(opening.quantity, 0) + sum(signed.signed_quantity) over balance_window as balance_after,
        coalesce(opening.dose_quantity, 0)
        + sum(signed.signed_dose_quantity) over balance_window as dose_balance_after,
        signed._derived_load_id
    from signed
    left join opening
        on
            signed.unit_id = opening.unit_id
            and signed.batch_id is not distinct from opening.batch_id
    window balance_window as (
        partition by signed.unit_id, signed.batch_id
        order by signed.doc_date asc, signed.is_in desc, signed.doc_id asc, signed.line_id asc
        rows between unbounded preceding and current row
    )

)

select * from final
