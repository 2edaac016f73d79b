{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook='{{ replace_stock_reconciliation_keys() }}',
    post_hook=[
        "{{ record_chain_follower_state([ref('int_stock_doses_given')]) }}",
        "{{ unique_key_index(['unit_id', 'batch_no', 'vaccine_code', 'manufacturer_code']) }}",
        '{{ analyze_table() }}',
    ],
) }}

-- 出库与接种核对, the stored part: per unit, vaccine, manufacturer and batch number, the clinic use (OUT_USE,
-- 支/瓶 and 人份) against the doses recorded with that batch. rpt_stock_reconciliation (a view) adds the
-- unit, its regions and the status. Built from int_stock_on_hand (the use per unit and batch, which follows
-- the ledger) and int_stock_doses_given (counts kept by difference), incremental by key
-- (macros/stock_reconciliation.sql).
with batches as (

    {{ stock_reconciliation_batches() }}

),

{%- if is_incremental() %}

keys as (

    select * from {{ stock_reconciliation_keys_table() }}

),

-- the unit's batches of each key (a batch unknown to the batch masters: the unit's lines without attributes)
key_pairs as (

    select keys.unit_id, batches.batch_id
    from keys
    inner join batches
        on keys.vaccine_code = batches.vaccine_code
            and keys.manufacturer_code = batches.manufacturer_code
            and keys.batch_no = batches.batch_no
    union
    select on_hand.unit_id, on_hand.batch_id
    from keys
    inner join {{ ref('int_stock_on_hand') }} as on_hand
        on keys.unit_id = on_hand.unit_id
    left join batches
        on on_hand.batch_id = batches.batch_id
    where (keys.vaccine_code is null or keys.manufacturer_code is null or keys.batch_no is null)
        and keys.vaccine_code is not distinct from batches.vaccine_code
        and keys.manufacturer_code is not distinct from batches.manufacturer_code
        and keys.batch_no is not distinct from batches.batch_no

),
{%- endif %}

stored_use as (

    select on_hand.*
    from {{ ref('int_stock_on_hand') }} as on_hand
    {%- if is_incremental() %}
    inner join key_pairs
        on on_hand.unit_id = key_pairs.unit_id and on_hand.batch_id = key_pairs.batch_id
    {%- endif %}
    where on_hand.use_quantity is not null

),

given as (

    select given.*
    from {{ ref('int_stock_doses_given') }} as given
    {%- if is_incremental() %}
    inner join keys
        on given.vaccine_code = keys.vaccine_code
            and given.manufacturer_code = keys.manufacturer_code
            and given.batch_no = keys.batch_no
            and given.unit_id is not distinct from keys.unit_id
    {%- endif %}

),

specs as (

    {{ stock_reconciliation_specs() }}

),

used as (

    select
        stored_use.unit_id,
        batches.vaccine_code,
        batches.manufacturer_code,
        batches.batch_no,
        max(stored_use.batch_id) as batch_id,
        max(batches.spec_id) as spec_id,
        max(batches.doses_per_unit) as doses_per_unit,
        sum(stored_use.use_quantity)::bigint as used_quantity,
        sum(stored_use.use_dose_quantity)::bigint as used_dose_quantity
    from stored_use
    left join batches
        on stored_use.batch_id = batches.batch_id
    group by stored_use.unit_id, batches.vaccine_code, batches.manufacturer_code, batches.batch_no

),

final as (

    select
        coalesce(used.unit_id, given.unit_id) as unit_id,
        coalesce(used.vaccine_code, given.vaccine_code) as vaccine_code,
        coalesce(used.manufacturer_code, given.manufacturer_code) as manufacturer_code,
        coalesce(used.batch_no, given.batch_no) as batch_no,
        used.batch_id,
        coalesce(used.spec_id, specs.spec_id) as spec_id,
        coalesce(used.doses_per_unit, specs.doses_per_unit, 1) as doses_per_unit,
        coalesce(used.used_quantity, 0) as used_quantity,
        coalesce(used.used_dose_quantity, 0) as used_dose_quantity,
        coalesce(given.doses_given, 0) as doses_given,
        {{ stock_ledger_build() }} as _ledger_build
    from used
    full outer join given
        on
            used.unit_id = given.unit_id
            and used.vaccine_code = given.vaccine_code
            and used.manufacturer_code = given.manufacturer_code
            and used.batch_no = given.batch_no
    left join specs
        on
            given.vaccine_code = specs.vaccine_code
            and given.manufacturer_code = specs.manufacturer_code

)

select * from final
