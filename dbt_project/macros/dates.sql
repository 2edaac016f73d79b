{#- Today in the project time zone (var timezone), as a date. -#}
{% macro local_today() -%}
    (now() at time zone '{{ var("timezone") }}')::date
{%- endmacro %}

{#- Evaluation date T (var evaluation_date, default today in the project time zone). -#}
{% macro evaluation_date() -%}
    {%- set value = var("evaluation_date", none) -%}
    {%- if value is none or value == "" -%}
        {{ local_today() }}
    {%- else -%}
        '{{ value }}'::date
    {%- endif -%}
{%- endmacro %}

{#- Completed months between two dates by calendar arithmetic (a birthday in the month counts
    as reached); negative when end_date is before start_date. -#}
{% macro months_between(start_date, end_date) -%}
    (
        extract(year from age({{ end_date }}, {{ start_date }}))::integer * 12
        + extract(month from age({{ end_date }}, {{ start_date }}))::integer
    )
{%- endmacro %}
