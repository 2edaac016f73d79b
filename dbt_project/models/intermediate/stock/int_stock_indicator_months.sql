{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[
        {'columns': ['unit_id', 'vaccine_code', 'month_start'], 'unique': True},
        {'columns': ['month_start']},
    ],
    pre_hook='{{ replace_stock_indicator_months() }}',
) }}

-- 库存指标, the stored part: per unit × vaccine × month kept, in 人份, everything that comes from the stock
-- lines (flows, closing stock, stockout days, window flows, expiring and expired stock). rpt_stock_indicators
-- (a view) adds the stocktake columns, the names and the derived rates. Definitions:
-- docs/reports/stock_indicators.md. Incremental by (unit, vaccine) from a month on
-- (macros/stock_indicator_months.sql); a full build derives every pair from the first month kept.
with batches as (

    select * from {{ ref('int_stock_batch_attributes') }}

),

on_hand as (

    select * from {{ ref('int_stock_on_hand') }}

),

-- The pairs to derive and each one's first month (R); its flows are read from flows_from = R − (W − 1).
work as (

    select
        unit_id,
        vaccine_key,
        from_month,
        (from_month - make_interval(months => {{ var('stock_indicator_window_months') }} - 1))::date as flows_from
    from ({{ stock_indicator_work('on_hand', 'batches') }}) as pairs

),

-- The batches of each pair at its unit, with their totals over every line (int_stock_on_hand).
pair_batches as (

    select
        on_hand.unit_id,
        on_hand.batch_id,
        work.vaccine_key,
        batches.expiry_date,
        on_hand.stock_dose_quantity as total_doses,
        on_hand.first_movement_date,
        on_hand.last_movement_date,
        work.from_month,
        work.flows_from
    from on_hand
    left join batches
        on on_hand.batch_id = batches.batch_id
    inner join work
        on
            on_hand.unit_id = work.unit_id
            and coalesce(batches.vaccine_code, '') = work.vaccine_key

),

-- The pairs' lines from their flows_from on (after the evaluation date too: the opening balances need them).
recent as (

    select
        pair_batches.unit_id,
        pair_batches.vaccine_key,
        pair_batches.batch_id,
        pair_batches.expiry_date,
        pair_batches.from_month,
        pair_batches.flows_from,
        ledger.doc_id,
        ledger.doc_date,
        ledger.doc_type,
        ledger.dose_quantity,
        ledger.signed_dose_quantity
    from pair_batches  -- batch_id is never null in the ledger (tested), so equality: the ledger's index serves it
    inner join {{ ref('int_stock_ledger') }} as ledger
        on
            pair_batches.unit_id = ledger.unit_id
            and pair_batches.batch_id = ledger.batch_id
            and pair_batches.flows_from <= ledger.doc_date
    where
        ledger.doc_date >= (select min(flows_from) from work)
        and pair_batches.last_movement_date >= pair_batches.flows_from

),

movements as (

    select
        recent.*,
        -- a scrap's reason, looked up by document (a join would read every document of the province)
        case
            when recent.doc_type = 'OUT_SCRAP'
                then (select docs.reason from {{ ref('stg_ops__stock_doc') }} as docs where docs.doc_id = recent.doc_id)
        end as reason
    from recent
    where recent.doc_date <= {{ evaluation_date() }}

),

recent_totals as (

    select
        unit_id,
        batch_id,
        sum(signed_dose_quantity) as doses
    from recent
    group by unit_id, batch_id

),

-- Each batch's balance before its pair's flows_from: its total less its lines from then on. A batch with
-- no line before then has no opening (its days start at its first line).
batch_openings as (

    select
        pair_batches.unit_id,
        pair_batches.vaccine_key,
        pair_batches.batch_id,
        pair_batches.expiry_date,
        pair_batches.from_month,
        pair_batches.flows_from,
        pair_batches.total_doses - coalesce(later.doses, 0) as net_doses
    from pair_batches
    left join recent_totals as later
        on
            pair_batches.unit_id = later.unit_id
            and pair_batches.batch_id = later.batch_id
    where pair_batches.first_movement_date < pair_batches.flows_from

),

-- The batches' days need an opening only when it is not 0 (a balance of 0 adds nothing and counts in no
-- expiry sum): most batches of a pair's history are used up.
batch_openings_held as (

    select * from batch_openings
    where net_doses <> 0

),

-- The pair's days from flows_from, and one opening day before (when it has earlier lines).
pair_days as (

    select
        unit_id,
        vaccine_key,
        from_month,
        flows_from,
        doc_date,
        sum(signed_dose_quantity) as net_doses,
        coalesce(sum(dose_quantity) filter (where doc_type = 'OUT_USE'), 0) as used_doses,
        coalesce(sum(dose_quantity) filter (where doc_type in ('OUT_USE', 'OUT_TRANSFER')), 0) as issued_doses,
        coalesce(sum(dose_quantity) filter (where doc_type = 'OUT_SCRAP'), 0) as scrapped_doses
    from movements
    group by unit_id, vaccine_key, from_month, flows_from, doc_date
    union all
    select
        unit_id,
        vaccine_key,
        from_month,
        flows_from,
        flows_from - 1 as doc_date,
        sum(net_doses) as net_doses,
        0 as used_doses,
        0 as issued_doses,
        0 as scrapped_doses
    from batch_openings
    group by unit_id, vaccine_key, from_month, flows_from

),

-- The unit's balance of the vaccine after each movement day, valid until the day before the next one.
pair_intervals as (

    select
        unit_id,
        vaccine_key,
        from_month,
        doc_date as valid_from,
        coalesce(
            lead(doc_date) over pair_window - 1, {{ evaluation_date() }}
        ) as valid_to,
        sum(net_doses) over (pair_window rows between unbounded preceding and current row) as balance_doses
    from pair_days
    window pair_window as (partition by unit_id, vaccine_key order by doc_date)

),

-- Each interval cut into the months it covers, from the pair's first month R.
interval_months as (

    select
        pair_intervals.unit_id,
        pair_intervals.vaccine_key,
        pair_intervals.balance_doses,
        pair_intervals.valid_from,
        pair_intervals.valid_to,
        series.month_start::date as month_start,
        least(
            (series.month_start + interval '1 month' - interval '1 day')::date, {{ evaluation_date() }}
        ) as month_end
    from pair_intervals
    cross join lateral generate_series(
        greatest(date_trunc('month', pair_intervals.valid_from), pair_intervals.from_month),
        date_trunc('month', pair_intervals.valid_to),
        interval '1 month'
    ) as series (month_start)

),

months as (

    select
        unit_id,
        vaccine_key,
        month_start,
        max(month_end) as month_end,
        coalesce(sum(
            least(valid_to, month_end) - greatest(valid_from, month_start) + 1
        ) filter (where balance_doses <= 0), 0) as stockout_days_any,
        coalesce(max(balance_doses) filter (where month_end between valid_from and valid_to), 0) as closing_doses
    from interval_months
    group by unit_id, vaccine_key, month_start

),

month_flows as (

    select
        unit_id,
        vaccine_key,
        date_trunc('month', doc_date)::date as month_start,
        sum(used_doses) as used_doses,
        sum(issued_doses) as issued_doses,
        sum(scrapped_doses) as scrapped_doses
    from pair_days
    where doc_date >= flows_from
    group by unit_id, vaccine_key, date_trunc('month', doc_date)

),

-- Each month's flows counted in it and in the W − 1 months after it: the window sums of those months.
window_flows as (

    select
        month_flows.unit_id,
        month_flows.vaccine_key,
        (month_flows.month_start + make_interval(months => shift.months_after))::date as month_start,
        sum(month_flows.used_doses) as used_doses_window,
        sum(month_flows.issued_doses) as issued_doses_window,
        count(*) as movement_months_window
    from month_flows
    cross join generate_series(0, {{ var('stock_indicator_window_months') }} - 1) as shift (months_after)
    group by
        month_flows.unit_id,
        month_flows.vaccine_key,
        (month_flows.month_start + make_interval(months => shift.months_after))::date

),

scraps as (

    select
        unit_id,
        vaccine_key,
        month_start,
        coalesce(sum(doses) filter (where reason = '过期失效'), 0) as scrapped_expired_doses,
        string_agg(reason || ' ' || doses::text, '；' order by reason) as scrap_reasons
    from (
        select
            unit_id,
            vaccine_key,
            date_trunc('month', doc_date)::date as month_start,
            coalesce(reason, '未注明') as reason,
            sum(dose_quantity) as doses
        from movements
        where doc_type = 'OUT_SCRAP' and doc_date >= from_month
        group by unit_id, vaccine_key, date_trunc('month', doc_date), coalesce(reason, '未注明')
    ) as scrap_reasons
    group by unit_id, vaccine_key, month_start

),

-- Batch balances at each month end: expired and expiring-soon stock on hand.
batch_intervals as (

    select
        unit_id,
        vaccine_key,
        batch_id,
        expiry_date,
        from_month,
        doc_date as valid_from,
        coalesce(lead(doc_date) over batch_window - 1, {{ evaluation_date() }}) as valid_to,
        sum(net_doses) over (batch_window rows between unbounded preceding and current row) as balance_doses
    from (
        select
            unit_id,
            vaccine_key,
            batch_id,
            from_month,
            doc_date,
            max(expiry_date) as expiry_date,
            sum(signed_dose_quantity) as net_doses
        from movements
        group by unit_id, vaccine_key, batch_id, from_month, doc_date
        union all
        select
            unit_id,
            vaccine_key,
            batch_id,
            from_month,
            flows_from - 1 as doc_date,
            max(expiry_date) as expiry_date,
            sum(net_doses) as net_doses
        from batch_openings_held
        group by unit_id, vaccine_key, batch_id, from_month, flows_from
    ) as batch_days
    window batch_window as (partition by unit_id, batch_id order by doc_date)

),

batch_month_ends as (

    select
        batch_intervals.unit_id,
        batch_intervals.vaccine_key,
        batch_intervals.expiry_date,
        batch_intervals.balance_doses,
        batch_intervals.valid_from,
        batch_intervals.valid_to,
        series.month_start::date as month_start,
        least(
            (series.month_start + interval '1 month' - interval '1 day')::date, {{ evaluation_date() }}
        ) as month_end
    from batch_intervals
    cross join
        lateral generate_series(
            greatest(date_trunc('month', batch_intervals.valid_from), batch_intervals.from_month),
            date_trunc('month', batch_intervals.valid_to),
            interval '1 month'
        ) as series (month_start)
    where batch_intervals.balance_doses > 0

),

expiry as (

    select
        unit_id,
        vaccine_key,
        month_start,
        coalesce(sum(balance_doses) filter (
            where expiry_date between month_end and month_end + {{ var('expiring_soon_days') }}
        ), 0) as expiring_soon_doses,
        coalesce(sum(balance_doses) filter (where expiry_date < month_end), 0) as expired_doses
    from batch_month_ends
    where month_end between valid_from and valid_to
    group by unit_id, vaccine_key, month_start

),

final as (

    select
        months.unit_id,
        nullif(months.vaccine_key, '')::varchar as vaccine_code,
        months.month_start,
        months.month_end,
        coalesce(month_flows.used_doses, 0) as used_doses,
        coalesce(month_flows.issued_doses, 0) as issued_doses,
        coalesce(month_flows.scrapped_doses, 0) as scrapped_doses,
        coalesce(scraps.scrapped_expired_doses, 0) as scrapped_expired_doses,
        scraps.scrap_reasons,
        months.closing_doses,
        months.stockout_days_any,
        coalesce(window_flows.used_doses_window, 0) as used_doses_window,
        coalesce(window_flows.issued_doses_window, 0) as issued_doses_window,
        coalesce(window_flows.movement_months_window, 0) as movement_months_window,
        coalesce(expiry.expiring_soon_doses, 0) as expiring_soon_doses,
        coalesce(expiry.expired_doses, 0) as expired_doses,
        {{ stock_ledger_build() }} as _ledger_build,
        {{ evaluation_date() }} as _evaluation_date
    from months
    left join month_flows
        on
            months.unit_id = month_flows.unit_id
            and months.vaccine_key = month_flows.vaccine_key
            and months.month_start = month_flows.month_start
    left join scraps
        on
            months.unit_id = scraps.unit_id
            and months.vaccine_key = scraps.vaccine_key
            and months.month_start = scraps.month_start
    left join window_flows
        on
            months.unit_id = window_flows.unit_id
            and months.vaccine_key = window_flows.vaccine_key
            and months.month_start = window_flows.month_start
    left join expiry
        on
            months.unit_id = expiry.unit_id
            and months.vaccine_key = expiry.vaccine_key
            and months.month_start = expiry.month_start
    -- a month without stock at its end and without any movement in the window says nothing
    where months.closing_doses <> 0 or coalesce(window_flows.movement_months_window, 0) > 0

)

select * from final
