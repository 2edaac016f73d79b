{#
    The stock ledger, incremental by (unit, batch) from a cutoff date (docs/scaling.md, "Incremental builds").

    A line's running balance (int_stock_ledger.balance_after) depends on every earlier line of its unit and
    batch, in the order (doc_date, inbound first, doc_id, line_id). A change at date D of a (unit, batch)
    changes the balances of that pair's lines from D on, and nothing before D. So a build re-derives, per
    changed pair, the lines dated on or after its cutoff (the earliest date a change touches, at its old and
    at its new place) and carries the balance of the pair's earlier lines, which it keeps. The day's changes
    are mostly dated today: a build rewrites about one day of lines, not the ledger's history.

    Watermark: the highest _derived_load_id the ledger holds (greatest _load_id of the line and its document,
    as in recipient_chain.sql). Changes above it:
    - a stock line version (new, edited, moved to another document or batch): its new place, and its
      previous place in the ledger;
    - a document version (new, re-dated, moved to another unit, re-typed, voided): the places of its lines
      now, and their previous places in the ledger;
    - the collaborative platform's purchase lines (int_stock_collab_purchase, a small table rebuilt every
      run, whose rows also vanish when the source gets the same document number): every row that differs
      between it and the ledger's platform rows (line_id < 0), at both places.
    Only ops lines can have a batch: a platform line of an unknown product has none (its pair's key holds a
    null batch, matched explicitly). A full build (the first, or --full-refresh) reads everything.

    Pre-hook (replace_changed_stock_pairs): the changed pairs with their cutoff into a temporary table
    (read before anything is deleted), then the pairs' rows from their cutoff deleted; the body inserts them
    again, with the balance carried from the rows kept. One connection, one transaction (as the dose chain).
#}

{% macro changed_stock_pairs_table() -%}
    {{ this.identifier }}__changed_pairs
{%- endmacro %}


{#- The (unit, batch) pairs changed above the ledger's watermark, each with the earliest date it changed. -#}
{% macro changed_stock_pairs() %}
    {#- a literal, read before the statement (macros/read_number.sql): the day's rows are estimated as few -#}
    {%- set watermark = read_number('select coalesce(max(_derived_load_id), 0) from ' ~ this) %}
    with changed_lines as (

        select line_id, doc_id, batch_id
        from {{ ref('stg_ops__stock_line') }}
        where _load_id > {{ watermark }}

    ),

    changed_docs as (

        select doc_id, unit_id, doc_date
        from {{ ref('stg_ops__stock_doc') }}
        where _load_id > {{ watermark }}

    ),

    collab_now as (

        select line_id, doc_id, doc_type, doc_date, unit_id, batch_id, quantity, dose_quantity
        from {{ ref('int_stock_collab_purchase') }}

    ),

    collab_built as (

        select line_id, doc_id, doc_type, doc_date, unit_id, batch_id, quantity, dose_quantity
        from {{ this }}
        where line_id < 0

    ),

    collab_changes as (

        (select * from collab_now except all select * from collab_built)
        union all
        (select * from collab_built except all select * from collab_now)

    ),

    places as (

        select docs.unit_id, changed_lines.batch_id, docs.doc_date
        from changed_lines
        inner join {{ ref('stg_ops__stock_doc') }} as docs
            on changed_lines.doc_id = docs.doc_id
        union all
        select changed_docs.unit_id, lines.batch_id, changed_docs.doc_date
        from changed_docs
        inner join {{ ref('stg_ops__stock_line') }} as lines
            on changed_docs.doc_id = lines.doc_id
        union all
        select unit_id, batch_id, doc_date
        from {{ this }}
        where line_id in (select line_id from changed_lines)
        union all
        select unit_id, batch_id, doc_date
        from {{ this }}
        where doc_id in (select doc_id from changed_docs)
        union all
        select unit_id, batch_id, doc_date
        from collab_changes

    )

    select
        unit_id,
        batch_id,
        min(doc_date) as cutoff
    from places
    group by unit_id, batch_id
{% endmacro %}


{#- A ledger row (alias rows) of a changed pair (alias pairs), from the pair's cutoff on. with_batch: the
    pairs with a batch (equality, which an index serves), else the pairs without one. -#}
{% macro in_changed_stock_pair(rows, pairs, with_batch=true, from_cutoff=true) -%}
    {{ rows }}.unit_id = {{ pairs }}.unit_id
    {%- if with_batch %}
    and {{ rows }}.batch_id = {{ pairs }}.batch_id
    {%- else %}
    and {{ rows }}.batch_id is null
    and {{ pairs }}.batch_id is null
    {%- endif %}
    {%- if from_cutoff %}
    and {{ rows }}.doc_date >= {{ pairs }}.cutoff
    {%- endif %}
{%- endmacro %}


{#- Pre-hook of int_stock_ledger: on an incremental build, the changed pairs (read before the delete), then
    their rows from the cutoff deleted. Nothing on a full build. Either way the build is written to the
    ledger's change log for the models that follow the ledger (record_stock_ledger_changes). -#}
{% macro replace_changed_stock_pairs() %}
    {%- if is_incremental() %}
    create temporary table {{ changed_stock_pairs_table() }} on commit drop as
    {{ changed_stock_pairs() }};
    analyze {{ changed_stock_pairs_table() }};
    {%- for with_batch in [true, false] %}
    delete from {{ this }} as rows
    using {{ changed_stock_pairs_table() }} as pairs
    where {{ in_changed_stock_pair('rows', 'pairs', with_batch) }};
    {%- endfor %}
    {%- endif %}
    {{ record_stock_ledger_changes() }}
{% endmacro %}


{#- The ledger's change log: what each build of the ledger re-derived, for the models that follow it by
    (unit, batch) (stock_ledger_followers below). Not a model: written in the ledger's own transaction, so a
    build that fails leaves no entry. One header row per build (unit_id null; is_full on a full build, which
    re-derives every pair), then one row per changed pair with its cutoff. Build numbers come from a
    sequence, so they keep growing across full builds. The last stock_ledger_log_builds builds are kept; a
    follower that missed more than that rebuilds whole. -#}
{% macro stock_ledger_log(ledger=none) -%}
    {{ (ledger or this).schema }}.int_stock_ledger_changes
{%- endmacro %}

{% macro record_stock_ledger_changes() %}
    create sequence if not exists {{ this.schema }}.int_stock_ledger_build_seq;
    create table if not exists {{ stock_ledger_log() }} (
        ledger_build bigint not null,
        unit_id text,
        batch_id text,
        cutoff date,
        is_full boolean not null
    );
    create index if not exists int_stock_ledger_changes_build on {{ stock_ledger_log() }} (ledger_build);
    {%- if not is_incremental() %}
    delete from {{ stock_ledger_log() }};
    {%- endif %}
    with build as (

        select nextval('{{ this.schema }}.int_stock_ledger_build_seq') as ledger_build

    )

    insert into {{ stock_ledger_log() }} (ledger_build, unit_id, batch_id, cutoff, is_full)
    select ledger_build, null, null, null, {{ 'false' if is_incremental() else 'true' }}
    from build
    {%- if is_incremental() %}
    union all
    select build.ledger_build, pairs.unit_id, pairs.batch_id, pairs.cutoff, false
    from {{ changed_stock_pairs_table() }} as pairs
    cross join build
    {%- endif %};
    delete from {{ stock_ledger_log() }}
    where ledger_build <= (select max(ledger_build) from {{ stock_ledger_log() }}) - {{ var('stock_ledger_log_builds') }};
{% endmacro %}


{#- What a model that follows the ledger's change log has not read: the log above the highest ledger build it
    holds (read_up_to, an SQL expression), as a CTE body; and whether it must re-derive everything: the ledger
    was built whole since (in the CTE log), the log no longer holds the builds it missed, or holds none. -#}
{% macro stock_ledger_log_above(read_up_to) -%}
    select * from {{ stock_ledger_log(ref('int_stock_ledger')) }}
    where ledger_build > {{ read_up_to }}
{%- endmacro %}

{% macro stock_ledger_rebuilt_or_missed(log, read_up_to) -%}
    (
        coalesce((select bool_or(is_full) from {{ log }}), false)
        or {{ read_up_to }} + 1 < coalesce((select min(ledger_build) from {{ stock_ledger_log(ref('int_stock_ledger')) }}), 0)
        or not exists (select 1 from {{ stock_ledger_log(ref('int_stock_ledger')) }})
    )
{%- endmacro %}


{#- A model that follows the ledger by (unit, batch) (int_stock_on_hand): incremental, strategy append, each
    row stamped with the ledger build it was derived from (column _ledger_build, stock_ledger_build()), and
    this pre-hook. On an incremental build it reads the log above the highest _ledger_build the model holds:
    the pairs to re-derive, or "everything" when the ledger was built whole since, or the model missed builds
    the log no longer holds (or holds nothing yet). It deletes those pairs' rows (all rows for everything);
    the body selects the same pairs (in_stock_ledger_follower_pairs). -#}
{% macro stock_ledger_follower_pairs_table() -%}
    {{ this.identifier }}__ledger_pairs
{%- endmacro %}

{% macro replace_stock_ledger_follower_pairs() %}
    {%- if is_incremental() %}
    create temporary table {{ stock_ledger_follower_pairs_table() }} on commit drop as
    with watermark as (

        select coalesce(max(_ledger_build), 0) as ledger_build from {{ this }}

    ),

    log as (

        {{ stock_ledger_log_above('(select ledger_build from watermark)') }}

    ),

    everything as (

        select {{ stock_ledger_rebuilt_or_missed('log', '(select ledger_build from watermark)') }} as is_everything

    )

    -- the changed pairs, or every pair of the ledger (whose batch_id is never null: tested)
    select distinct unit_id, batch_id, false as is_everything
    from log
    where unit_id is not null and not (select is_everything from everything)
    union
    select unit_id, batch_id, true
    from {{ ref('int_stock_ledger') }}
    where (select is_everything from everything);
    analyze {{ stock_ledger_follower_pairs_table() }};
    delete from {{ this }}
    where exists (select 1 from {{ stock_ledger_follower_pairs_table() }} where is_everything);
    delete from {{ this }} as rows
    using {{ stock_ledger_follower_pairs_table() }} as pairs
    where pairs.unit_id = rows.unit_id and pairs.batch_id = rows.batch_id;
    {%- endif %}
{% endmacro %}

{#- In a follower's body: a ledger row (alias rows) of a pair to re-derive (every row on a full build). One
    semi-join, which reads the changed pairs' rows through the ledger's (unit_id, batch_id, doc_date) index
    (a predicate with "or" would make every row of the ledger test it). -#}
{% macro in_stock_ledger_follower_pairs(rows) -%}
    {%- if is_incremental() -%}
        exists (
            select 1 from {{ stock_ledger_follower_pairs_table() }} as pairs
            where pairs.unit_id = {{ rows }}.unit_id and pairs.batch_id = {{ rows }}.batch_id
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The ledger build a follower's rows come from: the log's newest. -#}
{% macro stock_ledger_build() -%}
    (select max(ledger_build) from {{ stock_ledger_log(ref('int_stock_ledger')) }})
{%- endmacro %}


{#- In the ledger's body: a document of a unit with a changed pair, dated from the unit's earliest cutoff
    (every document on a full build). -#}
{% macro in_changed_stock_unit(docs) -%}
    {%- if is_incremental() -%}
        exists (
            select 1 from {{ changed_stock_pairs_table() }} as pairs
            where pairs.unit_id = {{ docs }}.unit_id and {{ docs }}.doc_date >= pairs.cutoff
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- In the ledger's body: a line of a changed pair from the pair's cutoff on (every line on a full build). -#}
{% macro in_changed_stock_pairs(rows) -%}
    {%- if is_incremental() -%}
        {%- for with_batch in [true, false] %}
        {{ 'or ' if not loop.first }}exists (
            select 1 from {{ changed_stock_pairs_table() }} as pairs
            where {{ in_changed_stock_pair(rows, 'pairs', with_batch) }}
        )
        {%- endfor %}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- The ledger's balance per changed pair before its cutoff: the rows the pre-hook kept (none on a full
    build). -#}
{% macro stock_opening_balances() %}
    {%- if is_incremental() %}
        {%- for with_batch in [true, false] %}
    select
        kept.unit_id,
        kept.batch_id,
        sum(kept.signed_quantity) as quantity,
        sum(kept.signed_dose_quantity) as dose_quantity
    from {{ this }} as kept
    inner join {{ changed_stock_pairs_table() }} as pairs
        on {{ in_changed_stock_pair('kept', 'pairs', with_batch, from_cutoff=false) }}
    group by kept.unit_id, kept.batch_id
            {%- if loop.first %}
    union all
            {%- endif %}
        {%- endfor %}
    {%- else %}
    select
        null::text as unit_id,
        null::text as batch_id,
        0::bigint as quantity,
        0::bigint as dose_quantity
    where false
    {%- endif %}
{% endmacro %}
