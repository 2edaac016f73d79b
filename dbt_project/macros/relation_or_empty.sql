{#- Select the given columns from schema.table when it exists, else an empty typed result.
    For the exchange's landing tables (raw.collab_item, raw.coldchain_*), which exist only once the
    exchange DAG has run: the main build must not depend on them. column_types: {name: sql type}. -#}
{% macro relation_or_empty(schema_name, table_name, column_types) -%}
    {#- (linting renders without a database: no adapter, so the empty branch) -#}
    {%- if adapter is defined -%}
        {%- set relation = adapter.get_relation(database=target.database, schema=schema_name, identifier=table_name) -%}
    {%- else -%}
        {%- set relation = none -%}
    {%- endif -%}
    {%- if relation is not none -%}
        select
        {%- for name in column_types %}
            {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
        from {{ relation }}
    {%- else -%}
        select
        {%- for name, type in column_types.items() %}
            null::{{ type }} as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
        where false
    {%- endif -%}
{%- endmacro %}
