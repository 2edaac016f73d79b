{{ config(post_hook=[access_scoped('region_code', 'vaccine_code')]) }}

-- 盘点实盘数 vs 账面结存: one row per unit, batch and count date of the unit. The book balance is computed
-- from the stock documents up to the end of the count date; a batch with a book balance but no count row
-- on a count date of the unit was not found on the shelf (counted 0).
with counts as (

    select * from {{ ref('stg_ops__stock_count') }}

),

movements as (

    select * from {{ ref('fct_stock_movements') }}

),

batches as (

    select * from {{ ref('stg_ops__vaccine_batch') }}

),

specs as (

    select * from {{ ref('stg_ops__product_spec') }}

),

vaccines as (

    select * from {{ ref('stg_ops__vaccine') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

count_days as (

    select distinct
        unit_id,
        count_date
    from counts

),

daily_net as (

    select
        unit_id,
        batch_id,
        doc_date,
        sum(signed_quantity) as net_quantity
    from movements
    group by unit_id, batch_id, doc_date

),

book as (

    select
        count_days.unit_id,
        count_days.count_date,
        daily_net.batch_id,
        sum(daily_net.net_quantity) as book_quantity
    from count_days
    inner join daily_net
        on
            count_days.unit_id = daily_net.unit_id
            and count_days.count_date >= daily_net.doc_date
    group by count_days.unit_id, count_days.count_date, daily_net.batch_id

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
        coalesce(book.book_quantity, 0) as book_quantity
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
        combined.unit_id || '|' || combined.batch_id || '|' || combined.count_date::text as count_key,
        combined.unit_id,
        units.unit_name,
        units.unit_type,
        {{ unit_region_code("units") }} as region_code,
        units.county_code,
        units.city_code,
        combined.count_date,
        combined.batch_id,
        batches.batch_no,
        batches.expiry_date,
        specs.spec_id,
        specs.spec_name,
        specs.vaccine_code,
        vaccines.vaccine_name,
        specs.manufacturer_code,
        specs.doses_per_unit,
        combined.count_id,
        combined.has_count_record,
        combined.counted_by,
        combined.remarks,
        combined.counted_quantity,
        combined.book_quantity,
        combined.counted_quantity - combined.book_quantity as discrepancy_quantity,
        combined.counted_quantity * specs.doses_per_unit as counted_dose_quantity,
        combined.book_quantity * specs.doses_per_unit as book_dose_quantity,
        (combined.counted_quantity - combined.book_quantity) * specs.doses_per_unit as discrepancy_dose_quantity,
        combined.counted_quantity <> combined.book_quantity as has_discrepancy
    from combined
    left join batches
        on combined.batch_id = batches.batch_id
    left join specs
        on batches.spec_id = specs.spec_id
    left join vaccines
        on specs.vaccine_code = vaccines.vaccine_code
    left join units
        on combined.unit_id = units.unit_id

)

select * from final
