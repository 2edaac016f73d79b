{%- set keys = {
    'unit_id': 'unit_id', 'vaccine_code': 'vaccine_code', 'manufacturer_code': 'manufacturer_code',
    'batch_no': 'batch_no', 'session_date': 'vaccinated_at::date',
} %}
{%- set counted = 'not is_deleted and manufacturer_code is not null and batch_no is not null and vaccine_code in '
    ~ sql_list(var('dq_session_discard_vaccine_codes')) %}
{{ counts_by_difference_config(
    'stg_ops__vaccination', keys, nullable_keys=['unit_id'], where=counted, count_column='doses_given',
    unique_key_columns=['batch_no', 'manufacturer_code', 'vaccine_code', 'unit_id', 'session_date'],
) }}
-- depends_on: {{ source('ops', 'vaccination') }}

-- The doses of the vaccines whose opened vials are discarded after the session (var
-- dq_session_discard_vaccine_codes, default BCG), per unit, batch and vaccination day: chk_unit_stock_use
-- compares each day with that day's clinic use. Counts kept by difference from the day's loads
-- (macros/counts_by_difference.sql).
{{ counts_by_difference('stg_ops__vaccination', keys, where=counted, count_column='doses_given') }}
