{#
    库存指标 (int_stock_indicator_months, read through the view rpt_stock_indicators), incremental by
    (unit, vaccine) from a month on (docs/scaling.md, "Incremental builds").

    A row (unit, vaccine, month) depends on the unit's lines of the vaccine's batches up to the month's end
    (balances, stockout days, expiring stock), of that month and the W − 1 months before it (window flows),
    and on the evaluation date T only in T's own month (its month_end is T). So a build re-derives, per
    (unit, vaccine), the months from the earliest one a change touches:
    - the ledger's change log (macros/stock_ledger.sql): a changed (unit, batch) from its cutoff's month,
      for the vaccine of the batch;
    - T: when T moved on to a later month, every pair from the month of the previous T (that month is
      complete now); when T moved within its month, T's month of the pairs with lines after the earlier of
      the two dates or holding a batch expired at one date and not at the other, or expiring soon at one and
      not at the other, while the other rows of T's month are updated in place (end date T, and the days T
      moved added to the stockout days of a pair out of stock: nothing else of theirs depends on T);
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

        {{ stock_ledger_log_above('(select ledger_build from state)') }}

    ),

    is_everything as (

        select
            {{ stock_ledger_rebuilt_or_missed('log', '(select ledger_build from state)') }}
            or (select evaluated from state) is null
            or date_trunc('month', (select evaluated from state)) > date_trunc('month', {{ evaluation_date() }})
            as everything

    ),

    batches as (

        {{ stock_indicator_batch_keys(ref('int_stock_batch_attributes')) }}

    ),

    -- how T moved since the last build (null without one: everything is re-derived then)
    t_move as (

        select
            date_trunc('month', (select evaluated from state))
            <> date_trunc('month', {{ evaluation_date() }}) as moved_month,
            least((select evaluated from state), {{ evaluation_date() }}) as earlier,
            greatest((select evaluated from state), {{ evaluation_date() }}) as later

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
        -- T moved on to a later month: every pair from the previous T's month (that month is complete now)
        union all
        select
            unit_id,
            vaccine_key,
            date_trunc('month', (select evaluated from state))::date
        from pairs
        where (select moved_month from t_move)
        -- T moved within its month (or stayed): T's month of the pairs where it changes otherwise than by its
        -- end date and its stockout days (the other rows of T's month are updated in place below): the pairs
        -- with lines after the earlier date, and those holding a batch that is expired at one date and not at
        -- the other, or expiring soon at one date and not at the other
        union all
        select
            ledger.unit_id,
            coalesce(batches.vaccine_key, ''),
            date_trunc('month', {{ evaluation_date() }})::date
        from {{ ref('int_stock_ledger') }} as ledger
        left join batches
            on ledger.batch_id = batches.batch_id
        where not (select moved_month from t_move)
            and ledger.doc_date > (select earlier from t_move)
        union all
        select
            on_hand.unit_id,
            batches.vaccine_key,
            date_trunc('month', {{ evaluation_date() }})::date
        from {{ ref('int_stock_on_hand') }} as on_hand
        inner join batches
            on on_hand.batch_id = batches.batch_id
        where not (select moved_month from t_move)
            and on_hand.stock_dose_quantity > 0
            and (
                -- expired at one date, not at the other
                (
                    batches.expiry_date >= (select earlier from t_move)
                    and batches.expiry_date < (select later from t_move)
                )
                -- within the expiring-soon days after one date, beyond them after the other
                or (
                    batches.expiry_date > (select earlier from t_move) + {{ var('expiring_soon_days') }}
                    and batches.expiry_date <= (select later from t_move) + {{ var('expiring_soon_days') }}
                )
            )
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
    -- the rest of T's month, with no line after the earlier date and no held batch crossing an expiry limit: the
    -- month ends at T, and a pair out of stock at the last T stayed so for the days T moved (its balance did
    -- not change); flows, window sums, closing and expiry sums are those of the last T
    update {{ this }} as rows
    set
        month_end = {{ evaluation_date() }},
        stockout_days_any = rows.stockout_days_any + case
            when rows.closing_doses <= 0 then {{ evaluation_date() }} - rows._evaluation_date else 0
        end,
        _evaluation_date = {{ evaluation_date() }}
    where rows.month_start = date_trunc('month', {{ evaluation_date() }})::date
        and rows._evaluation_date <> {{ evaluation_date() }};
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
