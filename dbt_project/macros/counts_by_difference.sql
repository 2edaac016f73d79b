{#
    Counts of rows by a key, stored, and kept by difference (docs/scaling.md, "Incremental builds"): a build
    adds to the keys the day's changes touch what those changes add or take away, and rewrites those keys.
    The rows counted are either
    - a staging model (stg_<source>__<table>, a view of raw's current versions): raw keeps every version, which
      one is current, and for a version no longer current the load that superseded it
      (vaxdw/extract_load/current.py). So from the highest load id w a build has read, a count changes by +1
      for each current row loaded above w and by -1 for each version that was current after w and no longer
      is (_load_id <= w < _superseded_load_id). Both are read by index (raw's BRIN on _load_id, the partial
      index on _superseded_load_id);
    - or a chain model that logs its changes (chain_log.sql): +1 and -1 for the rows each build since the
      last one read inserted and deleted.
    Everything is counted again on a full build, without a state, after a full build of the chain model, or
    when the follower missed builds its log no longer holds. Keys whose count falls to 0 are removed.
    Arguments:
    - counted: the model whose rows are counted (a staging model or a logged chain model);
    - keys: the key, a mapping of column name to expression on the counted rows (in order);
    - nullable_keys: the key columns that may be null (matched with "is not distinct from"; the others by
      equality, which the planner can hash or look up by index);
    - where: which rows count, a condition on the counted rows' columns (for a staging model, raw has the
      same names);
    - count_column: the name of the count;
    - log_changes: write what each build rewrote to intermediate.<model>_changes (chain_log.sql), for the
      models that follow the counts by key;
    - unique_key_columns: the key's columns in the order of its unique index (macros/unique_key_index.sql;
      default the key's order), so that the index also serves lookups by its leading columns.
#}
{% macro counts_by_difference_config(counted, keys, nullable_keys=[], where='true', count_column='row_count',
                                     indexes=[], log_changes=false, unique_key_columns=none) %}
    {%- set arguments = "'" ~ counted ~ "', " ~ keys ~ ", " ~ nullable_keys ~ ", " ~ (where | tojson)
        ~ ", '" ~ count_column ~ "', " ~ log_changes %}
    {%- if counted.startswith('stg_') %}
        {%- set state = "{{ record_chain_follower_state([], sources=[{'model': '" ~ counted ~ "'}]) }}" %}
    {%- else %}
        {%- set state = "{{ record_chain_follower_state([ref('" ~ counted ~ "')]) }}" %}
    {%- endif %}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=indexes,
        pre_hook='{{ count_changes(' ~ arguments ~ ') }}',
        post_hook=([
            "{{ record_chain_changes(after=true, replaced=counted_key_changed("
            ~ keys ~ ", " ~ nullable_keys ~ "), is_full=is_following_everything()) }}"
        ] if log_changes else []) + [
            state, '{{ unique_key_index(' ~ (unique_key_columns or (keys | list)) ~ ') }}', '{{ analyze_table() }}'
        ],
    ) }}
{% endmacro %}


{#- The table of a build's new counts (pre-hook; the body inserts it). -#}
{% macro counts_by_difference_table() -%}
    {{ this.identifier }}__counts
{%- endmacro %}


{#- select list (and group by positions) of the key -#}
{% macro count_key_columns(keys) -%}
    {%- for name, expression in keys.items() %}{{ expression }} as {{ name }}{{ ', ' if not loop.last }}{% endfor -%}
{%- endmacro %}

{% macro count_key_positions(keys) -%}
    {%- for name in keys %}{{ loop.index }}{{ ', ' if not loop.last }}{% endfor -%}
{%- endmacro %}

{#- A nullable key column is matched with "is not distinct from", which no hash join or index can serve, and
    also by an equality of its text with '' for null, which a hash join can: the key is found by hash even when
    the nullable column is the only one that tells keys apart (a unit's months). -#}
{% macro count_key_match(keys, nullable_keys, a, b) -%}
    {%- for name in keys %}
    {{ 'and ' if not loop.first }}
    {%- if name in nullable_keys -%}
    coalesce({{ a }}.{{ name }}::text, '') = coalesce({{ b }}.{{ name }}::text, '')
    and {{ a }}.{{ name }} is not distinct from {{ b }}.{{ name }}
    {%- else -%}
    {{ a }}.{{ name }} = {{ b }}.{{ name }}
    {%- endif %}
    {%- endfor %}
{%- endmacro %}


{#- With log_changes: the predicate (on alias rows) of a key this build rewrote, for the change log
    (chain_log.sql: the keys' rows before, sign -1, and after, sign +1; is_following_everything() says whether
    it rewrote everything). -#}
{% macro counted_key_changed(keys, nullable_keys) -%}
    exists (
        select 1 from {{ counts_by_difference_table() }} as counts
        where {{ count_key_match(keys, nullable_keys, 'rows', 'counts') }}
    )
{%- endmacro %}


{#- Pre-hook: the new count of every key the changes touch, in a temporary table, and those keys deleted
    (every key when everything is counted again). -#}
{% macro count_changes(counted, keys, nullable_keys, where, count_column, log_changes=false) %}
    {%- if is_incremental() %}
    {%- set from_staging = counted.startswith('stg_') %}
    {{ follow_chain_logs([] if from_staging else [ref(counted)]) }}
    create temporary table {{ counts_by_difference_table() }} on commit drop as
    with follow as (

        select
            case when is_everything then -1 else sources_load_id end as added_above,
            case when is_everything then 9223372036854775807 else sources_load_id end as superseded_above,
            sources_load_id as read_up_to,
            is_everything
        from {{ chain_follower_table() }}

    ),

    changes as (
    {%- if from_staging %}

        select {{ count_key_columns(keys) }}, count(*) as change
        from {{ ref(counted) }}
        where ({{ where }})
            and _load_id > (select added_above from follow)
        group by {{ count_key_positions(keys) }}
        union all
        select {{ count_key_columns(keys) }}, -count(*) as change
        from {{ source(counted.split('__')[0][4:], counted.split('__')[1]) }}
        where ({{ where }})
            and _superseded_load_id > (select superseded_above from follow)
            and _load_id <= (select read_up_to from follow)
        group by {{ count_key_positions(keys) }}
    {%- else %}

        select {{ count_key_columns(keys) }}, sum(sign) as change
        from {{ chain_changes_table(ref(counted)) }}
        where ({{ where }})
        group by {{ count_key_positions(keys) }}
        union all
        select {{ count_key_columns(keys) }}, count(*) as change
        from {{ ref(counted) }}
        where ({{ where }})
            and (select is_everything from follow)
        group by {{ count_key_positions(keys) }}
    {%- endif %}

    ),

    changed as (

        select {{ keys | join(', ') }}, sum(change) as change
        from changes
        group by {{ keys | join(', ') }}

    )

    select
        {%- for name in keys %}
        changed.{{ name }},
        {%- endfor %}
        (coalesce(stored.{{ count_column }}, 0) + changed.change)::bigint as {{ count_column }}
    from changed
    left join {{ this }} as stored
        on not (select is_everything from follow)
        and {{ count_key_match(keys, nullable_keys, 'stored', 'changed') }};
    analyze {{ counts_by_difference_table() }};
    {%- if log_changes %}
    {{ record_chain_changes(after=false, replaced=counted_key_changed(keys, nullable_keys),
                            is_full=is_following_everything()) }}
    {%- endif %}
    delete from {{ this }}
    where (select is_everything from {{ chain_follower_table() }});
    delete from {{ this }} as stored
    using {{ counts_by_difference_table() }} as counts
    where {{ count_key_match(keys, nullable_keys, 'stored', 'counts') }};
    {%- elif log_changes %}
    {{ record_chain_changes(after=false) }}
    {%- endif %}
{% endmacro %}


{#- The body of a model kept by difference (its config: counts_by_difference_config). -#}
{% macro counts_by_difference(counted, keys, where='true', count_column='row_count') %}
    {%- if is_incremental() %}
    select *
    from {{ counts_by_difference_table() }}
    where {{ count_column }} <> 0
    {%- else %}
    select {{ count_key_columns(keys) }}, count(*)::bigint as {{ count_column }}
    from {{ ref(counted) }}
    where ({{ where }})
    group by {{ count_key_positions(keys) }}
    {%- endif %}
{% endmacro %}
