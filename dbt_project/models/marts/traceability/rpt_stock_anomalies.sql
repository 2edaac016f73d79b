{{ config(post_hook=[access_scoped('region_code', 'vaccine_code')]) }}

-- 库存异常: negative balances, use of expired batches, doses without stock movement (and the reverse).
-- (movements is read twice, so PostgreSQL materialises it: only the columns used, and only candidate rows)
with movements as (

    select
        line_id,
        doc_date,
        doc_type,
        unit_id,
        unit_name,
        region_code,
        vaccine_code,
        batch_id,
        batch_no,
        expiry_date,
        quantity,
        balance_after
    from {{ ref('fct_stock_movements') }}
    where balance_after < 0 or (doc_type = 'OUT_USE' and doc_date > expiry_date)

),

reconciliation as (

    select * from {{ ref('rpt_stock_reconciliation') }}

),

negative as (

    select distinct on (unit_id, batch_id)
        'negative_balance' as anomaly_type,
        '库存为负' as anomaly_name,
        unit_id,
        unit_name,
        region_code,
        vaccine_code,
        batch_id,
        batch_no,
        doc_date as anomaly_date,
        balance_after as quantity,
        '出库后结存 ' || balance_after::text as detail
    from movements
    where balance_after < 0
    order by unit_id, batch_id, doc_date, line_id

),

expired_use as (

    select distinct on (unit_id, batch_id)
        'expired_use' as anomaly_type,
        '使用过期批次' as anomaly_name,
        unit_id,
        unit_name,
        region_code,
        vaccine_code,
        batch_id,
        batch_no,
        doc_date as anomaly_date,
        quantity,
        '有效期至 ' || expiry_date::text as detail
    from movements
    where doc_type = 'OUT_USE' and doc_date > expiry_date
    order by unit_id, batch_id, doc_date, line_id

),

mismatch as (

    select
        reconciliation_status as anomaly_type,
        case
            when reconciliation_status = 'doses_without_stock_movement' then '接种无对应出库'
            else '出库无对应接种'
        end as anomaly_name,
        unit_id,
        unit_name,
        region_code,
        vaccine_code,
        batch_id,
        batch_no,
        null::date as anomaly_date,
        dose_difference as quantity,
        '接种 ' || doses_given::text || ' 剂, 出库 ' || used_dose_quantity::text || ' 人份' as detail
    from reconciliation
    where reconciliation_status in ('doses_without_stock_movement', 'use_without_doses')

),

final as (

    select * from negative
    union all
    select * from expired_use
    union all
    select * from mismatch

)

select * from final
