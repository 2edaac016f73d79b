{%- set keys = {
    'unit_id': 'unit_id', 'vaccine_code': 'vaccine_code', 'manufacturer_code': 'manufacturer_code',
    'batch_no': 'batch_no',
} %}
{%- set counted = 'not is_deleted and manufacturer_code is not null and batch_no is not null' %}
{{ counts_by_difference_config(
    'stg_ops__vaccination', keys, nullable_keys=['unit_id'], where=counted, count_column='doses_given',
    unique_key_columns=['batch_no', 'manufacturer_code', 'vaccine_code', 'unit_id'], log_changes=true,
) }}
-- depends_on: {{ source('ops', 'vaccination') }}

-- 出库与接种核对, the doses' side: the doses recorded with a batch (vaccine, manufacturer and batch number
-- entered; not deleted) per unit, as stored counts kept by difference from the day's loads
-- (macros/counts_by_difference.sql), each build's rewritten keys logged for int_stock_reconciliation, which
-- sets them against the clinic use.
{{ counts_by_difference('stg_ops__vaccination', keys, where=counted, count_column='doses_given') }}
