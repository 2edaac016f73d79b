{#
    盘点 (int_stock_counts, read through the view fct_stock_counts), incremental (docs/scaling.md).

    A row (unit, batch, count date) depends on the unit's count records of that date and on the ledger's
    lines of (unit, batch) up to that date. So a build re-derives:
    - for a (unit, batch) in the ledger's change log (macros/stock_ledger.sql): its rows from the cutoff
      on (only when the unit has a count date from the cutoff on; the day's lines are dated today);
    - for a count record changed since the highest load id the model holds (_derived_load_id): every row
      of its unit and count date, where it is now and where it was (the model's own count_id);
    - everything when the ledger was built whole since, the model missed builds the log no longer holds,
      or the model is empty.
    Work rows: (unit_id, batch_id, from_date, whole_day): whole_day = every batch of the unit on that count
    date; otherwise the batch (null: a platform line of an unknown product) from that date on.
#}

{% macro stock_counts_work_table() -%}
    {{ this.identifier }}__work
{%- endmacro %}

{#- A stored or derived row (alias rows) that the work (alias work) covers. -#}
{% macro in_stock_counts_work(rows, work) -%}
    {{ rows }}.unit_id = {{ work }}.unit_id
    and (
        ({{ work }}.whole_day and {{ rows }}.count_date = {{ work }}.from_date)
        or (
            not {{ work }}.whole_day
            and coalesce({{ rows }}.batch_id, '') = coalesce({{ work }}.batch_id, '')
            and {{ rows }}.count_date >= {{ work }}.from_date
        )
    )
{%- endmacro %}

{% macro replace_stock_counts() %}
    {%- if is_incremental() %}
    create temporary table {{ stock_counts_work_table() }} on commit drop as
    with state as (

        select
            coalesce(max(_ledger_build), 0) as ledger_build,
            coalesce(max(_derived_load_id), 0) as load_id,
            not exists (select 1 from {{ this }}) as is_empty
        from {{ this }}

    ),

    log as (

        {{ stock_ledger_log_above('(select ledger_build from state)') }}

    ),

    is_everything as (

        select
            {{ stock_ledger_rebuilt_or_missed('log', '(select ledger_build from state)') }}
            or (select is_empty from state) as everything

    ),

    changed_counts as (

        select count_id, unit_id, count_date
        from {{ ref('stg_ops__stock_count') }}
        where _load_id > (select load_id from state)

    ),

    count_days as (

        select distinct unit_id, count_date from {{ ref('stg_ops__stock_count') }}

    )

    select distinct log.unit_id, log.batch_id, log.cutoff as from_date, false as whole_day
    from log
    where
        log.unit_id is not null
        and exists (
            select 1 from count_days
            where count_days.unit_id = log.unit_id and count_days.count_date >= log.cutoff
        )
    union
    select unit_id, null, count_date, true
    from changed_counts
    union
    select stored.unit_id, null, stored.count_date, true
    from {{ this }} as stored
    inner join changed_counts
        on stored.count_id = changed_counts.count_id
    union
    select null, null, null, true
    from is_everything
    where everything;
    analyze {{ stock_counts_work_table() }};
    -- the units the work covers (every unit for everything), for the body's one semi-join per input: a
    -- predicate with "or" would make every line of the ledger test it
    create temporary table {{ stock_counts_work_table() }}_units on commit drop as
    select unit_id from {{ stock_counts_work_table() }} where unit_id is not null
    union
    select unit_id from {{ ref('int_stock_ledger') }}
    where exists (select 1 from {{ stock_counts_work_table() }} where unit_id is null)
    union
    select unit_id from {{ ref('stg_ops__stock_count') }}
    where exists (select 1 from {{ stock_counts_work_table() }} where unit_id is null);
    analyze {{ stock_counts_work_table() }}_units;
    delete from {{ this }}
    where exists (select 1 from {{ stock_counts_work_table() }} where unit_id is null);
    delete from {{ this }} as rows
    using {{ stock_counts_work_table() }} as work
    where {{ in_stock_counts_work('rows', 'work') }};
    {%- endif %}
{% endmacro %}

{#- In the body: a row of a unit that the work covers (everything on a full build). -#}
{% macro in_stock_counts_units(rows) -%}
    {%- if is_incremental() -%}
        {{ rows }}.unit_id in (select unit_id from {{ stock_counts_work_table() }}_units)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro in_stock_counts_rows(rows) -%}
    {%- if is_incremental() -%}
        (
            exists (select 1 from {{ stock_counts_work_table() }} where unit_id is null)
            or exists (
                select 1 from {{ stock_counts_work_table() }} as work
                where {{ in_stock_counts_work(rows, 'work') }}
            )
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
