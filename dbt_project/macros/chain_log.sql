{#
    The change log of a chain model (recipient_chain.sql, log_changes=true), and the aggregates that follow
    it by difference (docs/scaling.md, "Incremental builds").

    A build of a chain model replaces the rows of its changed recipients. With log_changes, it writes to
    intermediate.<model>_changes, in its own transaction (a failed build leaves no entry):
    - a header row (sign 0, the model's columns null; is_full on a full build);
    - the rows it deleted, with sign -1 (pre-hook, before the delete);
    - the rows it inserted again, with sign +1 (post-hook).
    Build numbers come from a sequence; the last chain_log_builds builds are kept, and a full build empties
    the log (and recreates it, so it has the model's columns).

    An additive aggregate of the model's rows (counts and sums by a key) changes from one build to the next
    by the same aggregate of that build's logged rows weighted by their sign; the differences of successive
    builds add up, so a follower that missed builds adds all of them. A follower keeps the last build it
    has added and the evaluation month it was computed for in intermediate.<follower>_state (written in its
    own transaction), and computes everything again when the model was built whole since, when it missed
    builds the log no longer holds, or when the evaluation month moved (an aggregate that reads the
    evaluation date must say so with its evaluation_month argument).
#}

{% macro chain_log(model=none) -%}
    intermediate.{{ (model or this).identifier }}_changes
{%- endmacro %}

{% macro chain_log_sequence(model=none) -%}
    intermediate.{{ (model or this).identifier }}_build_seq
{%- endmacro %}


{#- In a logged model's pre-hook (after=false: header and the rows about to be deleted) and post-hook
    (after=true: the rows inserted; on a full build, the new log with its header). replaced: the predicate
    (on alias rows) of the rows the build replaces, by default the chain's changed recipients; is_full: an
    expression, true when an incremental build replaces everything. -#}
{% macro record_chain_changes(after, replaced=none, is_full='false') %}
    {%- set replaced = replaced or is_changed_recipient('rows.recipient_id') %}
    {%- if not after %}
    create sequence if not exists {{ chain_log_sequence() }};
        {%- if is_incremental() %}
    create table if not exists {{ chain_log() }} as
    select 0::bigint as chain_build, 0::smallint as sign, false as is_full, rows.*
    from {{ this }} as rows
    where false;
    insert into {{ chain_log() }} (chain_build, sign, is_full)
    values (nextval('{{ chain_log_sequence() }}'), 0, {{ is_full }});
    insert into {{ chain_log() }}
    select currval('{{ chain_log_sequence() }}'), -1, false, rows.*
    from {{ this }} as rows
    where {{ replaced }} and not {{ is_full }};
        {%- endif %}
    {%- elif is_incremental() %}
    insert into {{ chain_log() }}
    select currval('{{ chain_log_sequence() }}'), 1, false, rows.*
    from {{ this }} as rows
    where {{ replaced }} and not {{ is_full }};
    delete from {{ chain_log() }}
    where chain_build <= currval('{{ chain_log_sequence() }}') - {{ var('chain_log_builds') }};
    {%- else %}
    drop table if exists {{ chain_log() }};
    create table {{ chain_log() }} as
    select 0::bigint as chain_build, 0::smallint as sign, false as is_full, rows.*
    from {{ this }} as rows
    where false;
    create index on {{ chain_log() }} (chain_build);
    insert into {{ chain_log() }} (chain_build, sign, is_full)
    values (nextval('{{ chain_log_sequence() }}'), 0, true);
    {%- endif %}
{% endmacro %}


{#- A follower's state (one row per followed log: the last build it has added, and the evaluation month it
    was computed for; and with staging sources, a row '_sources' whose chain_build is the highest load id of
    the sources it has read). Rewritten by every build, in the follower's transaction. -#}
{% macro chain_follower_state() -%}
    intermediate.{{ this.identifier }}_state
{%- endmacro %}

{% macro chain_follower_table() -%}
    {{ this.identifier }}__follow
{%- endmacro %}

{#- The logged rows of model that this build adds. -#}
{% macro chain_changes_table(model) -%}
    {{ this.identifier }}__{{ model.identifier }}__changes
{%- endmacro %}


{#- In a follower's pre-hook, on an incremental build: for each followed model (a list of relations), a
    temporary table of its logged rows to add (the builds above the follower's state; none when everything
    is computed again), and a temporary table with one row: is_everything (compute everything again: a
    followed model was built whole since, or the follower missed builds a log no longer holds, or has no
    state, or the evaluation month moved) and sources_load_id (the highest load id of the staging sources
    read by the last build).
    A follower that follows the evaluation date T forward day by day (forward=true; its post-hook records T
    as its evaluation_month) gets the last build's T as previous_evaluation_date, and computes everything
    again only when T moved back. -#}
{% macro follow_chain_logs(models, evaluation_month='null::date', forward=false) %}
    create table if not exists {{ chain_follower_state() }} (
        followed text not null,
        chain_build bigint,
        evaluation_month date
    );
    create temporary table {{ chain_follower_table() }} on commit drop as
    with state as (

        select * from {{ chain_follower_state() }}

    ),

    {%- for model in models %}

    log_{{ loop.index }} as (

        select
            (select chain_build from state where followed = '{{ model.identifier }}') as from_build,
            min(chain_build) as first_build,
            bool_or(
                is_full
                and chain_build > coalesce((select chain_build from state where followed = '{{ model.identifier }}'), 0)
            ) as is_full_since
        from {{ chain_log(model) }}
        where sign = 0

    ),
    {%- endfor %}

    everything as (

        select
            not exists (select 1 from state)
            {%- if forward %}
            or exists (select 1 from state where evaluation_month is null or evaluation_month > {{ evaluation_month }})
            {%- else %}
            or exists (select 1 from state where evaluation_month is distinct from {{ evaluation_month }})
            {%- endif %}
            {%- for model in models %}
            or (select from_build is null or first_build is null or coalesce(is_full_since, false)
                or from_build + 1 < first_build from log_{{ loop.index }})
            {%- endfor %} as is_everything

    )

    select
        everything.is_everything,
        coalesce((select chain_build from state where followed = '_sources'), 0) as sources_load_id,
        (select max(evaluation_month) from state) as previous_evaluation_date
    from everything;
    {%- for model in models %}
    create temporary table {{ chain_changes_table(model) }} on commit drop as
    select changes.*
    from {{ chain_log(model) }} as changes
    cross join {{ chain_follower_table() }} as follow
    where changes.sign <> 0
        and not follow.is_everything
        and changes.chain_build > (
            select chain_build from {{ chain_follower_state() }} where followed = '{{ model.identifier }}'
        );
    analyze {{ chain_changes_table(model) }};
    {%- endfor %}
{% endmacro %}


{#- In a follower's body: true when it computes everything (always on a full build). -#}
{% macro is_following_everything() -%}
    {%- if is_incremental() -%}
        (select is_everything from {{ chain_follower_table() }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- The temporary table of the cells a build of cells kept by difference writes (its pre-hook fills it). -#}
{% macro cells_table() -%}
    {{ this.identifier }}__cells
{%- endmacro %}

{#- In the pre-hook of cells kept by difference, after a CTE "difference" (the difference per cell, with
    every column of the model): the touched cells as they are now plus the difference (measures added, the
    other columns the difference's, or the stored one where the difference has none), then those cells
    deleted, and every cell when everything is computed again. match: the same cell, on aliases cells and
    difference. -#}
{% macro cells_plus_difference(columns, measures, match) %}
    select
        {%- for column in columns %}
        {%- if column in measures %}
        coalesce(cells.{{ column }}, 0) + difference.{{ column }} as {{ column }}
        {%- else %}
        coalesce(difference.{{ column }}, cells.{{ column }}) as {{ column }}
        {%- endif %}{{ ',' if not loop.last }}
        {%- endfor %}
    from difference
    left join {{ this }} as cells
        on {{ match }};
    analyze {{ cells_table() }};
    delete from {{ this }} as cells
    using {{ cells_table() }} as difference
    where {{ match }};
    delete from {{ this }}
    where (select is_everything from {{ chain_follower_table() }});
{% endmacro %}


{#- The body of cells kept by difference: on an incremental build the cells its pre-hook computed (the touched
    cells as they are now plus the difference, in cells_table()) that still count something (count_column),
    or all_cells when everything is computed again; all_cells on a full build. -#}
{% macro cells_kept_by_difference(all_cells, count_column) %}
    {%- if is_incremental() %}
    select * from {{ cells_table() }}
    where {{ count_column }} <> 0

    union all

    select * from ({{ all_cells }}) as all_cells
    where {{ is_following_everything() }}
    {%- else %}
    {{ all_cells }}
    {%- endif %}
{% endmacro %}


{#- A follower's post-hook: the state it has reached (each followed model's newest build; the sources'
    highest load id). A full build starts a new state table. The sources' load id is read above the one
    recorded before (raw's BRIN index on _load_id), never by a scan of the sources' current rows; it only
    grows, as the loads do. -#}
{% macro record_chain_follower_state(models, evaluation_month='null::date', sources=[]) %}
    {%- if not is_incremental() %}
    drop table if exists {{ chain_follower_state() }};
    {%- endif %}
    create table if not exists {{ chain_follower_state() }} (
        followed text not null,
        chain_build bigint,
        evaluation_month date
    );
    with previous as (

        delete from {{ chain_follower_state() }}
        returning followed, chain_build

    ),

    previous_sources as (

        select coalesce(max(chain_build) filter (where followed = '_sources'), 0) as load_id
        from previous

    )

    insert into {{ chain_follower_state() }} (followed, chain_build, evaluation_month)
    {%- for model in models %}
    select '{{ model.identifier }}', max(chain_build), {{ evaluation_month }}
    from {{ chain_log(model) }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
    {%- if sources %}
    {{ 'union all' if models }}
    select '_sources', nullif(greatest(
        previous_sources.load_id,
        {%- for source in sources %}
        (select max(_load_id) from {{ ref(source.model) }} where _load_id > previous_sources.load_id)
        {{- ',' if not loop.last }}
        {%- endfor %}
    ), 0), {{ evaluation_month }}
    from previous_sources
    {%- endif %};
{% endmacro %}
