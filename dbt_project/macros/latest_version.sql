{#
    The latest version of every row of an append-only raw table: raw keeps every version that was
    loaded (one _load_id per batch); staging reads the one with the highest updated_at, then _load_id
    (a null updated_at sorts first, as PostgreSQL's "desc" puts nulls first).
#}
{% macro latest_version(relation, key, loaded_after=none) %}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key }}
                order by updated_at desc, _load_id desc
            ) as version_rank
        from {{ relation }}
        {%- if loaded_after is not none %}
        where _load_id > {{ loaded_after }}
        {%- endif %}
    ) as versions
    where version_rank = 1
{% endmacro %}


{#
    Current state of an append-only raw table, maintained incrementally (the staging models are
    incremental tables keyed on the source key, strategy delete+insert).

    Full build: latest_version over every raw version. Incremental run: only the raw rows loaded
    since the table was last built (_load_id above the highest _load_id it holds; loads draw their ids
    under one lock that every dbt run holds too, so load ids grow in commit order), ranked the same way, minus the keys whose current row still wins: a current row beats a newer load when its
    updated_at is later (or null while the new one is not, the null-first order of latest_version);
    on a tie the newer load wins, as _load_id decides there. What is selected replaces the current
    row of its key. The result equals a full rebuild (tests/integration/test_incremental_invariant.py).
#}
{% macro current_version(relation, key) %}
    {%- if is_incremental() %}
    select *
    from (
        {{ latest_version(relation, key, loaded_after=highest_load_id(this)) }}
    ) as new_versions
    where not exists (
        select 1
        from {{ this }} as current_rows
        where current_rows.{{ key }} = new_versions.{{ key }}
            and (
                current_rows.updated_at > new_versions.updated_at
                or (current_rows.updated_at is null and new_versions.updated_at is not null)
            )
    )
    {%- else %}
    {{ latest_version(relation, key) }}
    {%- endif %}
{% endmacro %}


{#- The highest _load_id a model holds (0 when empty): what it has already read. -#}
{% macro highest_load_id(relation) -%}
    (select coalesce(max(_load_id), 0) from {{ relation }})
{%- endmacro %}


{#- Config of a current-state staging table: the key is unique, _load_id finds the new loads;
    also_indexed: more indexes, a column or a list of columns each (e.g. the recipient of a dose, which the
    incremental dose chain reads by). -#}
{% macro current_state_config(key, also_indexed=[]) %}
    {%- set indexes = [{'columns': [key], 'unique': True}, {'columns': ['_load_id']}] %}
    {%- for column in also_indexed %}
        {%- do indexes.append({'columns': [column] if column is string else column}) %}
    {%- endfor %}
    {{ config(
        materialized='incremental',
        unique_key=key,
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        indexes=indexes,
    ) }}
{% endmacro %}
