{#- The number a one-value query returns, read when the model or hook is rendered for execution (dbt renders
    hooks and model SQL just before running them) and written into the SQL as a literal. A filter such as
    `_load_id > 120` is estimated from the table's statistics (the day's few rows), where
    `_load_id > (select … )` is estimated at a third of the table, and every join after it is then planned
    for that many rows: hash joins over the whole province instead of index lookups. Only for values that
    cannot change between the read and the statement (a watermark of the model itself: loads wait for a
    build, vaxdw.extract_load.lock). At parse time (no database) it renders 0. -#}
{% macro read_number(sql) -%}
    {%- if execute -%}
        {%- set value = run_query(sql).columns[0].values()[0] -%}
        {{ 0 if value is none else value }}
    {%- else -%}
        0
    {%- endif -%}
{%- endmacro %}
