{#
    Models the project no longer has: dbt leaves a removed model's table behind, so a warehouse built before
    keeps it (and its disk) until it is dropped here. Add a model when it is removed; names only, never a
    relation some model still builds.
#}
{% macro drop_retired_models() %}
    {%- set retired = [
        'intermediate.int_doses_classified_by_schedule',
    ] %}
    {%- for relation in retired %}
    drop table if exists {{ relation }} cascade;
    {%- endfor %}
{% endmacro %}
