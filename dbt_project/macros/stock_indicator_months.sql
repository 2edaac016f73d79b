{#
    库存指标 (int_stock_indicator_months, read through the view rpt_stock_indicators), incremental by
    (unit, vaccine) from a month on (docs/scaling.md, "Incremental builds").

    A row (unit, vaccine, month) depends on the unit's lines of the vaccine's batches up to the month's end
    (balances, stockout days, expiring stock), of that month and the W − 1 months before it (window flows),
    and on the evaluation date T only in T's own month (its month_end is T). So a build re-derives, per
    (unit, vaccine), the months from the earliest one a change touches:
    - the ledger's change log (macros/stock_ledger.sql): a changed (unit, batch) from its cutoff's month,
      for the vaccine of the batch;
    - T: T's month for every pair; when T moved on to a later month, from the month of the previous T (that
      month is complete now);
    - a batch whose vaccine or expiry date changed (compared with the batches the last build used, kept in
      int_stock_indicator_months__batches): its pairs, old and new vaccine, from the first month kept;
    - everything when the ledger was built whole since, the log no longer holds the builds this model
      missed, the model is empty, or T went back to an earlier month.
    Months before the first month kept (var stock_indicator_history_months up to T's month) are deleted.

    The body computes the re-derived pairs the way a full build computes every pair, from each pair's own
    first month R instead of the first month kept: day by day from R − (W − 1) months, and before that one
    opening balance per pair and per batch, taken from int_stock_on_hand's totals less the lines from that
    date on (no scan of the ledger's history).

    Pairs are keyed by vaccine_key = coalesce(vaccine_code, '') (a platform line of an unknown product has
    no vaccine): hash joins need equality.
#}

{% macro stock_indicator_work_table() -%}
    {{ this.identifier }}__work
{%- endmacro %}

{% macro stock_indicator_batches_table() -%}
    {{ this.schema }}.{{ this.identifier }}__batches
{%- endmacro %}

{#- First month kept and T's month. -#}
{% macro stock_indicator_first_month() -%}
    (
        date_trunc('month', {{ evaluation_date() }})
        - make_interval(months => {{ var('stock_indicator_history_months') }} - 1)
    )::date
{%- endmacro %}

{% macro stock_indicator_batch_keys(batches) -%}
    select batch_id, coalesce(vaccine_code, '') as vaccine_key, expiry_date from {{ batches }}
{%- endmacro %}

{#- Pre-hook: the pairs to re-derive with their first month (incremental builds), their rows deleted, and
    the batches used recorded (every build). -#}
{% macro replace_stock_indicator_months() %}
    create table if not exists {{ stock_indicator_batches_table() }} (
        batch_id text,
        vaccine_key text,
        expiry_date date
    );
    {%- if is_incremental() %}
    create temporary table {{ stock_indicator_work_table() }} on commit drop as
    with state as (

        select
            coalesce(max(_ledger_build), 0) as ledger_build,
            max(_evaluation_date) as evaluated
        from {{ this }}

    ),

    log as (

        select * from {{ stock_ledger_log(ref('int_stock_ledger')) }}
        where ledger_build > (select ledger_build from state)

    ),

    is_everything as (

        select
            coalesce(bool_or(log.is_full), false)
            or (select ledger_build from state) + 1 < coalesce(
                (select min(ledger_build) from {{ stock_ledger_log(ref('int_stock_ledger')) }}), 0
            )
            or not exists (select 1 from {{ stock_ledger_log(ref('int_stock_ledger')) }})
            or (select evaluated from state) is null
            or date_trunc('month', (select evaluated from state)) > date_trunc('month', {{ evaluation_date() }})
            as everything
        from log

    ),

    batches as (

        {{ stock_indicator_batch_keys(ref('int_stock_batch_attributes')) }}

    ),

    changed_batches as (

        (select * from batches except select * from {{ stock_indicator_batches_table() }})
        union
        (select * from {{ stock_indicator_batches_table() }} except select * from batches)

    ),

    pairs as (

        select distinct
            on_hand.unit_id,
            coalesce(batches.vaccine_key, '') as vaccine_key
        from {{ ref('int_stock_on_hand') }} as on_hand
        left join batches
            on on_hand.batch_id = batches.batch_id

    ),

    reasons as (

        select
            log.unit_id,
            coalesce(batches.vaccine_key, '') as vaccine_key,
            date_trunc('month', log.cutoff)::date as from_month
        from log
        left join batches
            on log.batch_id = batches.batch_id
        where log.unit_id is not null
        union all
        select
            unit_id,
            vaccine_key,
            least(
                date_trunc('month', coalesce((select evaluated from state), {{ evaluation_date() }})),
                date_trunc('month', {{ evaluation_date() }})
            )::date
        from pairs
        union all
        select
            on_hand.unit_id,
            changed_batches.vaccine_key,
            {{ stock_indicator_first_month() }}
        from changed_batches
        inner join {{ ref('int_stock_on_hand') }} as on_hand
            on changed_batches.batch_id = on_hand.batch_id
        union all
        select
            unit_id,
            vaccine_key,
            {{ stock_indicator_first_month() }}
        from pairs
        where (select everything from is_everything)
        union all
        select distinct
            unit_id,
            coalesce(vaccine_code, ''),
            {{ stock_indicator_first_month() }}
        from {{ this }}
        where (select everything from is_everything)

    )

    select
        unit_id,
        vaccine_key,
        greatest(min(from_month), {{ stock_indicator_first_month() }}) as from_month
    from reasons
    group by unit_id, vaccine_key;
    analyze {{ stock_indicator_work_table() }};
    delete from {{ this }}
    where month_start < {{ stock_indicator_first_month() }};
    delete from {{ this }} as rows
    using {{ stock_indicator_work_table() }} as work
    where
        rows.unit_id = work.unit_id
        and coalesce(rows.vaccine_code, '') = work.vaccine_key
        and rows.month_start >= work.from_month;
    {%- endif %}
    delete from {{ stock_indicator_batches_table() }};
    insert into {{ stock_indicator_batches_table() }}
    {{ stock_indicator_batch_keys(ref('int_stock_batch_attributes')) }};
{% endmacro %}

{#- In the body: the pairs to derive with their first month (every pair from the first month kept on a full
    build). -#}
{% macro stock_indicator_work(on_hand, batches) %}
    {%- if is_incremental() %}
    select unit_id, vaccine_key, from_month from {{ stock_indicator_work_table() }}
    {%- else %}
    select distinct
        on_hand.unit_id,
        coalesce(batches.vaccine_code, '') as vaccine_key,
        {{ stock_indicator_first_month() }} as from_month
    from {{ on_hand }} as on_hand
    left join {{ batches }} as batches
        on on_hand.batch_id = batches.batch_id
    {%- endif %}
{% endmacro %}
