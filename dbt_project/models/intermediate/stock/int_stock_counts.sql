{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[{'columns': ['count_id']}],
    pre_hook='{{ replace_stock_counts() }}',
    post_hook="{{ unique_key_index(['unit_id', 'count_date', 'batch_id']) }}",
) }}

-- 盘点实盘数 vs 账面结存, the stored part: one row per unit, batch and count date of the unit. The book
-- balance is computed from the stock documents up to the end of the count date; a batch with a book
-- balance but no count row on a count date of the unit was not found on the shelf (counted 0).
-- fct_stock_counts (a view) adds names and dose quantities. Incremental (macros/stock_counts.sql).
with counts as (

    select * from {{ ref('stg_ops__stock_count') }} as counts
    where {{ in_stock_counts_units('counts') }}

),

ledger as (

    select * from {{ ref('int_stock_ledger') }} as ledger
    where {{ in_stock_counts_units('ledger') }}

),

count_days as (

    select distinct
        unit_id,
        count_date
    from counts

),

-- The book balance of a unit's batch at the end of a day: the ledger's running balance after the day's
-- last line (int_stock_ledger orders a day's lines inbound first, then by document and line).
pair_days as (

    select distinct on (unit_id, batch_id, doc_date)
        unit_id,
        batch_id,
        doc_date,
        balance_after as balance
    from ledger
    order by unit_id asc, batch_id asc, doc_date asc, is_in asc, doc_id desc, line_id desc

),

-- Each day's balance holds until the next movement day (next_date, exclusive). A spell is a run of days
-- with a balance other than 0: on a count date outside every spell the book is 0, so a count date is
-- matched with the spells it falls in (few per batch) rather than with every movement day of the unit.
balance_days as (

    select
        unit_id,
        batch_id,
        doc_date,
        balance,
        lead(doc_date) over pair_window as next_date,
        count(*) filter (where balance = 0) over (
            pair_window rows between unbounded preceding and current row
        ) as zero_days_before
    from pair_days
    window pair_window as (partition by unit_id, batch_id order by doc_date)

),

spells as (

    select
        unit_id,
        batch_id,
        min(doc_date) as spell_from,
        (array_agg(next_date order by doc_date desc))[1] as spell_until
    from balance_days
    where balance <> 0
    group by unit_id, batch_id, zero_days_before

),

-- (a batch id is null only on a platform line of an unknown product: '' stands for it in the joins)
book as (

    select
        count_days.unit_id,
        count_days.count_date,
        spells.batch_id,
        balance_days.balance::numeric as book_quantity
    from count_days
    inner join spells
        on
            count_days.unit_id = spells.unit_id
            and count_days.count_date >= spells.spell_from
            and (spells.spell_until is null or count_days.count_date < spells.spell_until)
    inner join balance_days
        on
            spells.unit_id = balance_days.unit_id
            and coalesce(spells.batch_id, '') = coalesce(balance_days.batch_id, '')
            and count_days.count_date >= balance_days.doc_date
            and (balance_days.next_date is null or count_days.count_date < balance_days.next_date)

),

combined as (

    select
        coalesce(counts.unit_id, book.unit_id) as unit_id,
        coalesce(counts.batch_id, book.batch_id) as batch_id,
        coalesce(counts.count_date, book.count_date) as count_date,
        counts.count_id,
        counts.counted_by,
        counts.remarks,
        counts.count_id is not null as has_count_record,
        coalesce(counts.counted_quantity, 0) as counted_quantity,
        coalesce(book.book_quantity, 0) as book_quantity,
        coalesce(counts._load_id, 0) as _derived_load_id
    from counts
    full outer join book
        on
            counts.unit_id = book.unit_id
            and counts.batch_id = book.batch_id
            and counts.count_date = book.count_date
    where counts.count_id is not null or book.book_quantity <> 0

),

final as (

    select
        unit_id,
        batch_id,
        count_date,
        count_id,
        counted_by,
        remarks,
        has_count_record,
        counted_quantity,
        book_quantity,
        {{ stock_ledger_build() }} as _ledger_build,
        _derived_load_id
    from combined
    where {{ in_stock_counts_rows('combined') }}

)

select * from final
