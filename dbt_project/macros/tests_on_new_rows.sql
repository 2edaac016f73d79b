{#
    A daily build's row-wise data tests read the rows derived from what it loaded, not the whole table.
    not_null, accepted_values, relationships and expression_is_true test each row on its own, so on a daily
    (incremental) build they read only the rows whose lineage is above the highest load id the last
    successful build had to read (var tested_above_load_id, set by vaxdw.pipeline.transform from
    control.dbt_build): a model's _derived_load_id (the chain, the ledger: an index on it), else a staging
    view's _load_id (raw's BRIN index), as the model's yml declares its columns (a model that declares
    neither is tested whole; tests/integration/test_dbt_build.py keeps the declarations in step). Those are the rows the day's loads and corrections added or changed.
    Rows a daily build re-derived for another reason (old records re-resolved after a township merge) are
    tested by the next full build (weekly, or when the project changed), which tests every row; tables
    without lineage are tested whole on every build.
    unique and unique_combination_of_columns compare rows with each other: always the whole table (or a
    unique index instead, macros/unique_key_index.sql). A test's own where config still applies.
#}
{% macro postgres__get_where_subquery(relation) -%}
    {#- one macro: dbt calls it in its own namespace, where the project's other macros are not in scope -#}
    {%- set conditions = [] %}
    {%- if config.get('where', '') %}
        {%- do conditions.append('(' ~ config.get('where') ~ ')') %}
    {%- endif %}
    {%- set row_wise = ['not_null', 'accepted_values', 'relationships', 'expression_is_true'] %}
    {%- set test_name = (model.get('test_metadata') or {}).get('name') if model is mapping else none %}
    {%- if execute and var('tested_above_load_id', none) is not none and test_name in row_wise %}
        {#- the tested model's lineage column as its yml declares it: read from the graph, no catalog query -#}
        {%- set tested = graph.nodes.get(model.get('attached_node') or '') or {} %}
        {%- set columns = (tested.get('columns') or {}).keys() | list %}
        {%- set lineage = (['_derived_load_id', '_load_id'] | select('in', columns) | list)[:1] %}
        {%- for column in lineage %}
            {%- do conditions.append(column ~ ' > ' ~ var('tested_above_load_id')) %}
        {%- endfor %}
    {%- endif %}
    {%- if conditions %}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') %}
    {%- else %}
        {%- do return(relation) %}
    {%- endif %}
{%- endmacro %}
