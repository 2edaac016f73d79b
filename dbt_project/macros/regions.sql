{#- The unit's place in the region hierarchy as unit_-prefixed columns, from a dim_unit relation alias. -#}
{% macro unit_region_columns(units) -%}
    {%- for level in ['township', 'county', 'city', 'province'] %}
        {{ units }}.{{ level }}_code as unit_{{ level }}_code,
        {{ units }}.{{ level }}_name as unit_{{ level }}_name
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
