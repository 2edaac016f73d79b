-- 库存指标's stocktake columns: per unit × month, the unit's last count date in the month (any vaccine;
-- the unit counted, so a vaccine without count rows was counted 0 with a book balance of 0), and per
-- vaccine the counted, book and discrepancy doses on that date. A table rebuilt every run from
-- fct_stock_counts (itself rebuilt every run); rpt_stock_indicators joins it.
with counts as (

    select * from {{ ref('fct_stock_counts') }}
    where count_date <= {{ evaluation_date() }}

),

unit_counts as (

    select
        unit_id,
        date_trunc('month', count_date)::date as month_start,
        max(count_date) as count_date
    from counts
    group by unit_id, date_trunc('month', count_date)

),

final as (

    select
        unit_counts.unit_id,
        unit_counts.month_start,
        unit_counts.count_date,
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
    group by unit_counts.unit_id, unit_counts.month_start, unit_counts.count_date, counts.vaccine_code

)

select * from final
