{#- Fails with the rows where the boolean expression is false (nulls pass). -#}
{% test expression_is_true(model, expression) %}
    select *
    from {{ model }}
    where not ({{ expression }})
{% endtest %}
