{#
    Aggregates of the doses by vaccination date and unit (实种 and 实种及时 cells) that follow int_vaccinations
    through its change log (chain_log.sql; docs/scaling.md, "Incremental builds").

    A cell keyed by (vaccination_date, unit_id, …) depends on the doses of that date and unit only. A build
    reads the rows that the builds of int_vaccinations since its last one replaced, keeps those that really
    changed (a row deleted and inserted again unchanged, e.g. the other doses of a child whose ID number was
    fixed, cancels out), and re-derives every cell of their (vaccination date, unit) pairs, old and new, from
    the current doses (int_vaccinations' index on vaccination_date, unit_id). The day's changes touch the
    day's and a few late-entered dates, and the dates of the old doses corrected that day. Everything is
    computed again after a full build of int_vaccinations, or when the follower missed builds the log no
    longer holds. The cells hold no names or regions: those follow the evaluation date and are joined by the
    view over the cells.
#}

{% macro dose_days_table() -%}
    {{ this.identifier }}__dose_days
{%- endmacro %}

{#- Config of a follower; key: the cell's columns (a unique index). -#}
{% macro dose_day_follower_config(key) %}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[{'columns': key, 'unique': True}],
        pre_hook="{{ replace_changed_dose_days() }}",
        post_hook="{{ record_chain_follower_state(ref('int_vaccinations')) }}",
    ) }}
{% endmacro %}

{#- Pre-hook: the (vaccination date, unit) pairs to re-derive into a temporary table, then their cells
    deleted (every cell when everything is computed again). -#}
{% macro replace_changed_dose_days() %}
    {%- if is_incremental() %}
    {{ follow_chain_log(ref('int_vaccinations')) }}
    create temporary table {{ dose_days_table() }} on commit drop as
    with logged as (

        select
            changes.vaccination_date,
            changes.unit_id,
            to_jsonb(changes) - 'chain_build' - 'sign' - 'is_full' - '_load_id' - '_derived_load_id' as content,
            changes.sign
        from {{ chain_changes_table() }} as changes

    ),

    changed as (

        select vaccination_date, unit_id
        from logged
        group by vaccination_date, unit_id, content
        having sum(sign) <> 0

    )

    select distinct vaccination_date, unit_id from changed;
    analyze {{ dose_days_table() }};
    delete from {{ this }}
    where (select is_everything from {{ chain_follower_table() }});
    delete from {{ this }} as cells
    using {{ dose_days_table() }} as days
    where cells.vaccination_date = days.vaccination_date
        and cells.unit_id = days.unit_id;
    {%- endif %}
{% endmacro %}

{#- In a follower's body: the rows of relation (with vaccination_date and unit_id) of the pairs to re-derive
    (every row when everything is computed again, and on a full build). -#}
{% macro changed_dose_day_rows(relation) %}
    {%- if is_incremental() %}
    select rows.*
    from {{ relation }} as rows
    where {{ is_following_everything() }}
    union all
    select rows.*
    from {{ relation }} as rows
    inner join {{ dose_days_table() }} as days
        on rows.vaccination_date = days.vaccination_date
            and rows.unit_id = days.unit_id
    where not {{ is_following_everything() }}
    {%- else %}
    select * from {{ relation }}
    {%- endif %}
{% endmacro %}
