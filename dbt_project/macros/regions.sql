{#- The unit's place in the region hierarchy as unit_-prefixed columns, from a dim_unit relation alias. -#}
{% macro unit_region_columns(units) -%}
    {%- for level in ['township', 'county', 'city', 'province'] %}
        {{ units }}.{{ level }}_code as unit_{{ level }}_code,
        {{ units }}.{{ level }}_name as unit_{{ level }}_name
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The unit's name and its regions as the visit and sign-off details show them (unit_name, then code and
    name per level); as_text: cast to text, the type of the aggregates in the tables these views replaced. -#}
{% macro visit_unit_columns(units, as_text=true) -%}
    {%- set cast = '::text' if as_text else '' %}
        {{ units }}.unit_name{{ cast }} as unit_name,
    {%- for level in ['township', 'county', 'city', 'province'] %}
        {{ units }}.{{ level }}_code{{ cast }} as unit_{{ level }}_code,
        {{ units }}.{{ level }}_name{{ cast }} as unit_{{ level }}_name
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
