{%- set keys = {'unit_id': 'unit_id', 'month_start': "date_trunc('month', vaccination_date)::date"} %}
{{ counts_by_difference_config(
    'int_vaccinations', keys, nullable_keys=['unit_id'], count_column='doses',
) }}

-- Doses per unit and vaccination month (every dose of fct_vaccinations), kept by difference from the
-- change log of int_vaccinations (macros/counts_by_difference.sql); chk_unit_month_doses reads it.
{{ counts_by_difference('int_vaccinations', keys, count_column='doses') }}
