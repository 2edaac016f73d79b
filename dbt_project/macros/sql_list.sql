{#- A SQL list literal ('a', 'b') from a list var; ('') when empty so `in` stays valid. -#}
{% macro sql_list(values) -%}
    ({%- for value in values -%}'{{ value }}'{%- if not loop.last %}, {% endif -%}{%- else -%}''{%- endfor -%})
{%- endmacro %}
