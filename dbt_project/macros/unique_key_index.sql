{#
    Post-hook: the model's key as a unique index (NULLS NOT DISTINCT: a key column that may be null still
    admits one row per key), created when the table has none yet (its first build, a full build's new
    table). It takes the place of a unique_combination_of_columns test on the incremental tables whose
    test read every row on every build: a build that would write a duplicate key fails at its insert,
    and the index serves the lookups by the leading columns that a plain index served before.
    The index name carries the build's transaction id: during a full build the previous table, renamed to
    its backup, still holds its own index (created by an earlier transaction) until the transaction ends.
#}
{% macro unique_key_index(columns) -%}
    do $unique_key$
    begin
        if not exists (
            select 1
            from pg_indexes
            where schemaname = '{{ this.schema }}'
                and tablename = '{{ this.identifier }}'
                and indexname like '{{ this.identifier[:30] }}\_key\_%'
        ) then
            execute format(
                'create unique index %I on {{ this }} ({{ columns | join(", ") }}) nulls not distinct',
                '{{ this.identifier[:30] }}_key_' || pg_current_xact_id()::text
            );
        end if;
    end
    $unique_key$
{%- endmacro %}
