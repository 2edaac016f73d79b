{#- md5 over the given expressions, null-safe (nulls become a marker), '|' separated. -#}
{% macro surrogate_key(expressions) -%}
    md5(
        {%- for expression in expressions %}
        coalesce(cast({{ expression }} as text), '<null>'){% if not loop.last %} || '|' ||{% endif %}
        {%- endfor %}
    )
{%- endmacro %}

{#- SQL list literal of the non-vaccine categories (var non_vaccine_category_codes). -#}
{% macro non_vaccine_categories() -%}
    ({%- for code in var("non_vaccine_category_codes") -%}'{{ code }}'{% if not loop.last %}, {% endif %}{%- endfor -%})
{%- endmacro %}

