{#- The warehouse tables that dbt reads but does not build: the curated correction layer (批量修复)
    and the current anomaly state maintained by each check run. Created on run start so a fresh
    warehouse builds; vaxdw.quality.schema executes the same DDL (read from this file), so the
    definition lives in one place. -#}
{% macro quality_tables_ddl() %}
create schema if not exists curated;
create table if not exists curated.correction (
    correction_id bigint generated always as identity primary key,
    table_name text not null,
    row_key text not null,
    column_name text not null,
    old_value text,
    new_value text,
    rule_id text not null,
    repair_id bigint not null,
    is_active boolean not null default true,
    created_at timestamptz not null default now(),
    created_by text not null,
    undone_at timestamptz,
    undone_by text,
    supersedes_id bigint
);
create unique index if not exists correction_active_uidx
    on curated.correction (table_name, row_key, column_name) where is_active;
-- change_id: drawn from the load id sequence (under the load lock) when a correction is inserted and
-- whenever it is undone or reactivated, so the incremental dose chain reads the corrections changed
-- since its own highest id as it reads the loads (macro changed_recipients).
do $change_id$
begin
    -- checked first: alter table locks the table exclusively even when the column exists
    if not exists (
        select 1 from pg_attribute
        where attrelid = 'curated.correction'::regclass and attname = 'change_id' and not attisdropped
    ) then
        alter table curated.correction add column if not exists change_id bigint;
    end if;
end
$change_id$;
create index if not exists correction_change_idx on curated.correction (change_id);
create index if not exists correction_key_idx on curated.correction (table_name, row_key);
do $load_ids$
begin
    -- the loader creates the sequence (vaxdw.extract_load.control); a warehouse built before its first
    -- load (or a quality service set up first) creates it here, the same way
    if to_regclass('control.load_id_seq') is null then
        if to_regnamespace('control') is null then create schema control; end if;
        create sequence if not exists control.load_id_seq;
    end if;
end
$load_ids$;
create schema if not exists dq;
create table if not exists dq.current_anomaly (
    rule_id text not null,
    rule_set_version text not null,
    rule_name_zh text not null,
    family text not null,
    severity text not null,
    table_name text not null,
    row_key text not null,
    value text,
    message_zh text not null,
    run_id bigint not null,
    detected_at timestamptz not null default now(),
    primary key (table_name, row_key, rule_id)
);
{% endmacro %}

{% macro create_quality_tables() %}
    {% do run_query(quality_tables_ddl()) %}
{% endmacro %}

{#- A corrected column: the active correction's value when there is one, else the source value. -#}
{% macro corrected(source_alias, column, data_type) -%}
    case
        when fixes.has_{{ column }} then fixes.{{ column }}::{{ data_type }}
        else {{ source_alias }}.{{ column }}
    end as {{ column }}
{%- endmacro %}

{#- The corrections of one table pivoted to one row per key: has_<column>, <column> and corrections
    count the active ones; last_change_id is the latest change (insert, undo, redo) of any of the key's
    corrections, active or not (the incremental dose chain's lineage). keys: optional SQL of the row keys
    (text) to read, else every key. -#}
{% macro pivot_corrections(table_name, columns, keys=none) -%}
    select
        row_key,
        {%- for column in columns %}
        coalesce(bool_or(column_name = '{{ column }}' and is_active), false) as has_{{ column }},
        max(new_value) filter (where column_name = '{{ column }}' and is_active) as {{ column }},
        {%- endfor %}
        count(*) filter (where is_active) as corrections,
        max(change_id) as last_change_id
    from {{ source('curated', 'correction') }}
    where table_name = '{{ table_name }}'
        {%- if keys is not none %}
        and row_key in ({{ keys }})
        {%- endif %}
    group by row_key
{%- endmacro %}

{#- The DTaP-containing vaccine categories of the dropout check (var dq_dtap_category_codes) as a SQL list. -#}
{% macro dtap_categories() -%}
    ('{{ var("dq_dtap_category_codes") | join("', '") }}')
{%- endmacro %}
