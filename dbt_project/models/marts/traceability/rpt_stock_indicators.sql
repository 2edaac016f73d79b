{{ config(post_hook=[access_scoped('region_code', 'vaccine_code')]) }}

-- 库存指标 (DHIS2 / WHO stock indicators) per unit × vaccine × month, in 人份, for the last
-- var stock_indicator_history_months months up to the evaluation month (that month up to the evaluation date).
-- Definitions: docs/reports/stock_indicators.md.
with movements as (

    select
        unit_id,
        vaccine_code,
        batch_id,
        expiry_date,
        doc_date,
        doc_type,
        reason,
        dose_quantity,
        signed_dose_quantity
    from {{ ref('fct_stock_movements') }}
    where doc_date <= {{ evaluation_date() }}

),

counts as (

    select * from {{ ref('fct_stock_counts') }}
    where count_date <= {{ evaluation_date() }}

),

-- first_month: the first month kept; flows_from: the first month whose flows a kept month's window reads.
history as (

    select
        first_month,
        (first_month - make_interval(months => {{ var('stock_indicator_window_months') }} - 1))::date as flows_from
    from (
        select
            (
                date_trunc('month', {{ evaluation_date() }})
                - make_interval(months => {{ var('stock_indicator_history_months') }} - 1)
            )::date as first_month
    ) as months_kept

),

units as (

    select * from {{ ref('dim_unit') }}

),

vaccines as (

    select * from {{ ref('stg_ops__vaccine') }}

),

-- Only the days from flows_from on are read one by one; what came before is one opening day per unit and
-- vaccine (its net balance, no flows) dated the day before flows_from, so the work follows the months
-- kept, not the ledger's history. A pair without earlier movements gets no opening day (its days start
-- at its first movement, as its stockout days do).
pair_days as (

    select
        unit_id,
        vaccine_code,
        doc_date,
        sum(signed_dose_quantity) as net_doses,
        coalesce(sum(dose_quantity) filter (where doc_type = 'OUT_USE'), 0) as used_doses,
        coalesce(sum(dose_quantity) filter (where doc_type in ('OUT_USE', 'OUT_TRANSFER')), 0) as issued_doses,
        coalesce(sum(dose_quantity) filter (where doc_type = 'OUT_SCRAP'), 0) as scrapped_doses
    from movements
    where doc_date >= (select flows_from from history)
    group by unit_id, vaccine_code, doc_date
    union all
    select
        unit_id,
        vaccine_code,
        (select flows_from from history) - 1 as doc_date,
        sum(signed_dose_quantity) as net_doses,
        0 as used_doses,
        0 as issued_doses,
        0 as scrapped_doses
    from movements
    where doc_date < (select flows_from from history)
    group by unit_id, vaccine_code

),

-- The unit's balance of the vaccine after each movement day, valid until the day before the next one.
pair_intervals as (

    select
        unit_id,
        vaccine_code,
        doc_date as valid_from,
        coalesce(
            lead(doc_date) over pair_window - 1, {{ evaluation_date() }}
        ) as valid_to,
        sum(net_doses) over (pair_window rows between unbounded preceding and current row) as balance_doses
    from pair_days
    window pair_window as (partition by unit_id, vaccine_code order by doc_date)

),

-- Each interval cut into the months it covers, from the first month kept (var stock_indicator_history_months).
-- The intervals tile every day from the unit's first movement of the vaccine to T, so these are also the
-- row candidates.
interval_months as (

    select
        pair_intervals.unit_id,
        pair_intervals.vaccine_code,
        pair_intervals.balance_doses,
        pair_intervals.valid_from,
        pair_intervals.valid_to,
        series.month_start::date as month_start,
        least(
            (series.month_start + interval '1 month' - interval '1 day')::date, {{ evaluation_date() }}
        ) as month_end
    from pair_intervals
    cross join lateral generate_series(
        greatest(date_trunc('month', pair_intervals.valid_from), (select first_month from history)),
        date_trunc('month', pair_intervals.valid_to),
        interval '1 month'
    ) as series (month_start)

),

months as (

    select
        unit_id,
        vaccine_code,
        month_start,
        max(month_end) as month_end,
        coalesce(sum(
            least(valid_to, month_end) - greatest(valid_from, month_start) + 1
        ) filter (where balance_doses <= 0), 0) as stockout_days_any,
        coalesce(max(balance_doses) filter (where month_end between valid_from and valid_to), 0) as closing_doses
    from interval_months
    group by unit_id, vaccine_code, month_start

),

month_flows as (

    select
        unit_id,
        vaccine_code,
        date_trunc('month', doc_date)::date as month_start,
        sum(used_doses) as used_doses,
        sum(issued_doses) as issued_doses,
        sum(scrapped_doses) as scrapped_doses
    from pair_days
    where doc_date >= (select flows_from from history)
    group by unit_id, vaccine_code, date_trunc('month', doc_date)

),

-- Each month's flows counted in it and in the W − 1 months after it: the window sums of those months.
window_flows as (

    select
        month_flows.unit_id,
        month_flows.vaccine_code,
        (month_flows.month_start + make_interval(months => shift.months_after))::date as month_start,
        sum(month_flows.used_doses) as used_doses_window,
        sum(month_flows.issued_doses) as issued_doses_window,
        count(*) as movement_months_window
    from month_flows
    cross join generate_series(0, {{ var('stock_indicator_window_months') }} - 1) as shift (months_after)
    group by
        month_flows.unit_id,
        month_flows.vaccine_code,
        (month_flows.month_start + make_interval(months => shift.months_after))::date

),

scraps as (

    select
        unit_id,
        vaccine_code,
        month_start,
        coalesce(sum(doses) filter (where reason = '过期失效'), 0) as scrapped_expired_doses,
        string_agg(reason || ' ' || doses::text, '；' order by reason) as scrap_reasons
    from (
        select
            unit_id,
            vaccine_code,
            date_trunc('month', doc_date)::date as month_start,
            coalesce(reason, '未注明') as reason,
            sum(dose_quantity) as doses
        from movements
        where doc_type = 'OUT_SCRAP' and doc_date >= (select first_month from history)
        group by unit_id, vaccine_code, date_trunc('month', doc_date), coalesce(reason, '未注明')
    ) as scrap_reasons
    group by unit_id, vaccine_code, month_start

),

-- Batch balances at each month end: expired and expiring-soon stock on hand.
batch_intervals as (

    select
        unit_id,
        vaccine_code,
        batch_id,
        expiry_date,
        doc_date as valid_from,
        coalesce(lead(doc_date) over batch_window - 1, {{ evaluation_date() }}) as valid_to,
        sum(net_doses) over (batch_window rows between unbounded preceding and current row) as balance_doses
    from (
        select
            unit_id,
            vaccine_code,
            batch_id,
            doc_date,
            max(expiry_date) as expiry_date,
            sum(signed_dose_quantity) as net_doses
        from movements
        where doc_date >= (select flows_from from history)
        group by unit_id, vaccine_code, batch_id, doc_date
        union all
        select
            unit_id,
            vaccine_code,
            batch_id,
            (select flows_from from history) - 1 as doc_date,
            max(expiry_date) as expiry_date,
            sum(signed_dose_quantity) as net_doses
        from movements
        where doc_date < (select flows_from from history)
        group by unit_id, vaccine_code, batch_id
    ) as batch_days
    window batch_window as (partition by unit_id, batch_id order by doc_date)

),

batch_month_ends as (

    select
        batch_intervals.unit_id,
        batch_intervals.vaccine_code,
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
            greatest(date_trunc('month', batch_intervals.valid_from), (select first_month from history)),
            date_trunc('month', batch_intervals.valid_to),
            interval '1 month'
        ) as series (month_start)
    where batch_intervals.balance_doses > 0

),

expiry as (

    select
        unit_id,
        vaccine_code,
        month_start,
        coalesce(sum(balance_doses) filter (
            where expiry_date between month_end and month_end + {{ var('expiring_soon_days') }}
        ), 0) as expiring_soon_doses,
        coalesce(sum(balance_doses) filter (where expiry_date < month_end), 0) as expired_doses
    from batch_month_ends
    where month_end between valid_from and valid_to
    group by unit_id, vaccine_code, month_start

),

-- The last count of the unit in the month (any vaccine): the unit counted, so a vaccine without count
-- rows was counted 0 with a book balance of 0.
unit_counts as (

    select
        unit_id,
        date_trunc('month', count_date)::date as month_start,
        max(count_date) as count_date
    from counts
    group by unit_id, date_trunc('month', count_date)

),

discrepancies as (

    select
        unit_counts.unit_id,
        unit_counts.month_start,
        counts.vaccine_code,
        sum(counts.counted_dose_quantity) as counted_doses,
        sum(counts.book_dose_quantity) as book_doses,
        sum(counts.discrepancy_dose_quantity) as discrepancy_doses,
        sum(abs(counts.discrepancy_dose_quantity)) as discrepancy_abs_doses,
        count(*) filter (where counts.has_discrepancy) as discrepancy_batches
    from unit_counts
    inner join counts
        on
            unit_counts.unit_id = counts.unit_id
            and unit_counts.count_date = counts.count_date
    group by unit_counts.unit_id, unit_counts.month_start, counts.vaccine_code

),

joined as (

    select
        months.unit_id,
        months.vaccine_code,
        months.month_start,
        months.month_end,
        months.month_end - months.month_start + 1 as days_in_period,
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
        unit_counts.count_date,
        discrepancies.counted_doses,
        discrepancies.book_doses,
        discrepancies.discrepancy_doses,
        discrepancies.discrepancy_abs_doses,
        discrepancies.discrepancy_batches
    from months
    left join month_flows
        on
            months.unit_id = month_flows.unit_id
            and months.vaccine_code = month_flows.vaccine_code
            and months.month_start = month_flows.month_start
    left join scraps
        on
            months.unit_id = scraps.unit_id
            and months.vaccine_code = scraps.vaccine_code
            and months.month_start = scraps.month_start
    left join window_flows
        on
            months.unit_id = window_flows.unit_id
            and months.vaccine_code = window_flows.vaccine_code
            and months.month_start = window_flows.month_start
    left join expiry
        on
            months.unit_id = expiry.unit_id
            and months.vaccine_code = expiry.vaccine_code
            and months.month_start = expiry.month_start
    left join unit_counts
        on
            months.unit_id = unit_counts.unit_id
            and months.month_start = unit_counts.month_start
    left join discrepancies
        on
            months.unit_id = discrepancies.unit_id
            and months.vaccine_code = discrepancies.vaccine_code
            and months.month_start = discrepancies.month_start

),

final as (

    select
        joined.unit_id || '|' || joined.vaccine_code || '|' || to_char(joined.month_start, 'YYYY-MM') as indicator_key,
        joined.unit_id,
        units.unit_name,
        units.unit_type,
        units.parent_unit_id,
        {{ unit_region_code("units") }} as region_code,
        units.county_code,
        units.county_name,
        units.city_code,
        units.city_name,
        joined.vaccine_code,
        vaccines.vaccine_name,
        joined.month_start,
        joined.month_end,
        joined.days_in_period,
        joined.used_doses_window > 0 as is_vaccinating_unit,
        case when joined.used_doses_window > 0 then joined.stockout_days_any end as stockout_days,
        case when joined.used_doses_window > 0 then joined.stockout_days_any > 0 end as is_stockout,
        joined.used_doses,
        joined.issued_doses,
        joined.scrapped_doses,
        joined.scrapped_expired_doses,
        joined.scrapped_doses - joined.scrapped_expired_doses as scrapped_other_doses,
        joined.scrap_reasons,
        round(
            joined.scrapped_doses::numeric / nullif(joined.issued_doses + joined.scrapped_doses, 0), 4
        ) as closed_vial_wastage_rate,
        joined.closing_doses,
        joined.issued_doses_window,
        round(
            greatest(joined.closing_doses, 0)::numeric
            / nullif(joined.issued_doses_window::numeric / {{ var('stock_indicator_window_months') }}, 0),
            2
        ) as stock_coverage_months,
        joined.expiring_soon_doses,
        joined.expired_doses,
        joined.count_date,
        joined.count_date is not null as has_stock_count,
        case when joined.count_date is not null then coalesce(joined.counted_doses, 0) end as counted_doses,
        case when joined.count_date is not null then coalesce(joined.book_doses, 0) end as book_doses_at_count,
        case when joined.count_date is not null then coalesce(joined.discrepancy_doses, 0) end
            as count_discrepancy_doses,
        case when joined.count_date is not null then coalesce(joined.discrepancy_abs_doses, 0) end
            as count_discrepancy_abs_doses,
        case when joined.count_date is not null then coalesce(joined.discrepancy_batches, 0) end
            as count_discrepancy_batches
    from joined
    left join units
        on joined.unit_id = units.unit_id
    left join vaccines
        on joined.vaccine_code = vaccines.vaccine_code
    -- a month without stock at its end and without any movement in the window says nothing
    where joined.closing_doses <> 0 or joined.movement_months_window > 0

)

select * from final
