{#- post-hook of the tables that fct_stock_movements (a view) joins, and of the incremental models of the
    dose side (recipient_chain.sql, dose_day_follower.sql): the table gets its planner statistics as
    soon as it is written, so the models built after it in the same run plan the view's joins with real row
    counts. A table just created has none until autovacuum gets to it, and the view's joins then choose
    nested loops over a million rows (rpt_stock_on_hand: 6 s → 108 s on a small province). An incremental
    table is analysed when it is built whole (first build, --full-refresh); a day's rows change little. -#}
{% macro analyze_table() -%}
    {%- set materialized = config.get('materialized') -%}
    {%- if materialized == 'table' or (materialized == 'incremental' and not is_incremental()) -%}
    analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
