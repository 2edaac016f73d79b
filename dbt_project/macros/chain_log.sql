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


{#- In a chain model's pre-hook (after=false: header and the rows about to be deleted) and post-hook
    (after=true: the rows inserted; on a full build, the new log with its header). -#}
{% macro record_chain_changes(after) %}
    {%- if not after %}
    create sequence if not exists {{ chain_log_sequence() }};
        {%- if is_incremental() %}
    create table if not exists {{ chain_log() }} as
    select 0::bigint as chain_build, 0::smallint as sign, false as is_full, rows.*
    from {{ this }} as rows
    where false;
    insert into {{ chain_log() }} (chain_build, sign, is_full)
    values (nextval('{{ chain_log_sequence() }}'), 0, false);
    insert into {{ chain_log() }}
    select currval('{{ chain_log_sequence() }}'), -1, false, rows.*
    from {{ this }} as rows
    where {{ is_changed_recipient('rows.recipient_id') }};
        {%- endif %}
    {%- elif is_incremental() %}
    insert into {{ chain_log() }}
    select currval('{{ chain_log_sequence() }}'), 1, false, rows.*
    from {{ this }} as rows
    where {{ is_changed_recipient('rows.recipient_id') }};
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


{#- A follower's state: the last build of the followed model it has added, and its evaluation month. -#}
{% macro chain_follower_state() -%}
    intermediate.{{ this.identifier }}_state
{%- endmacro %}

{% macro chain_follower_table() -%}
    {{ this.identifier }}__follow
{%- endmacro %}

{% macro chain_changes_table() -%}
    {{ this.identifier }}__changes
{%- endmacro %}


{#- In a follower's pre-hook, on an incremental build: a temporary table with one row, is_everything (compute
    everything again: the followed model was built whole since, or the follower missed builds the log no
    longer holds, or has no state, or the evaluation month moved), and a temporary table of the logged rows
    to add (the builds above the follower's state; none when everything is computed again). -#}
{% macro follow_chain_log(model, evaluation_month='null::date') %}
    create table if not exists {{ chain_follower_state() }} (chain_build bigint, evaluation_month date);
    create temporary table {{ chain_follower_table() }} on commit drop as
    with state as (

        select max(chain_build) as chain_build, max(evaluation_month) as evaluation_month
        from {{ chain_follower_state() }}

    ),

    builds as (

        select
            min(chain_build) as first_build,
            bool_or(is_full and chain_build > (select chain_build from state)) as is_full_since
        from {{ chain_log(model) }}
        where sign = 0

    )

    select
        state.chain_build as from_build,
        state.chain_build is null
        or builds.first_build is null
        or coalesce(builds.is_full_since, false)
        or state.chain_build + 1 < builds.first_build
        or state.evaluation_month is distinct from {{ evaluation_month }} as is_everything
    from state
    cross join builds;
    create temporary table {{ chain_changes_table() }} on commit drop as
    select changes.*
    from {{ chain_log(model) }} as changes
    cross join {{ chain_follower_table() }} as follow
    where changes.sign <> 0
        and not follow.is_everything
        and changes.chain_build > follow.from_build;
    analyze {{ chain_changes_table() }};
{% endmacro %}


{#- In a follower's body: true when it computes everything (always on a full build). -#}
{% macro is_following_everything() -%}
    {%- if is_incremental() -%}
        (select is_everything from {{ chain_follower_table() }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- A follower's post-hook: the state it has reached (the followed model's newest build). -#}
{% macro record_chain_follower_state(model, evaluation_month='null::date') %}
    create table if not exists {{ chain_follower_state() }} (chain_build bigint, evaluation_month date);
    delete from {{ chain_follower_state() }};
    insert into {{ chain_follower_state() }} (chain_build, evaluation_month)
    select max(chain_build), {{ evaluation_month }}
    from {{ chain_log(model) }};
{% endmacro %}
