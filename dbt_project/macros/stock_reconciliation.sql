{#
    出库与接种核对, the stored part (int_stock_reconciliation), incremental by key (unit, vaccine,
    manufacturer, batch number): docs/scaling.md, "Incremental builds".

    A key's row depends on the clinic use (int_stock_on_hand's OUT_USE totals) of the unit's batches with that
    vaccine, manufacturer and batch number, on the doses counted for the key (int_stock_doses_given), and on
    the specification of the key's vaccine and manufacturer (a key without use). So a build re-derives:
    - the keys int_stock_doses_given rewrote since (its change log, chain_log.sql);
    - the keys of the (unit, batch) pairs in the ledger's change log since (macros/stock_ledger.sql), by the
      batch's current attributes;
    - everything when the ledger or int_stock_doses_given was built whole since, this model missed builds a
      log no longer holds or has no state, or a batch it used changed or went away, or a specification
      changed (compared with the batches and specifications the last build used, kept beside the model).
      New batches need nothing more: their lines come through the ledger's log.
    Keys may hold nulls (a batch unknown to the batch masters; a dose without a unit): matched null-safe.
#}

{% macro stock_reconciliation_keys_table() -%}
    {{ this.identifier }}__keys
{%- endmacro %}

{% macro stock_reconciliation_used_table(kind) -%}
    {{ this.schema }}.{{ this.identifier }}__{{ kind }}
{%- endmacro %}

{#- What the reconciliation uses of the batches and the specifications. -#}
{% macro stock_reconciliation_batches() -%}
    select batch_id, vaccine_code, manufacturer_code, batch_no, spec_id, doses_per_unit
    from {{ ref('int_stock_batch_attributes') }}
{%- endmacro %}

{% macro stock_reconciliation_specs() -%}
    select vaccine_code, manufacturer_code, spec_id, doses_per_unit
    from {{ ref('stg_ops__product_spec') }}
{%- endmacro %}

{#- Pre-hook: on an incremental build, the keys to re-derive (every key for everything) in a temporary
    table, and their rows deleted; on every build, the batches and specifications used recorded. -#}
{% macro replace_stock_reconciliation_keys() %}
    create table if not exists {{ stock_reconciliation_used_table('batches') }} as
    {{ stock_reconciliation_batches() }} limit 0;
    create table if not exists {{ stock_reconciliation_used_table('specs') }} as
    {{ stock_reconciliation_specs() }} limit 0;
    {%- if is_incremental() %}
    {{ follow_chain_logs([ref('int_stock_doses_given')]) }}
    create temporary table {{ stock_reconciliation_keys_table() }} on commit drop as
    with state as (

        select coalesce(max(_ledger_build), 0) as ledger_build from {{ this }}

    ),

    log as (

        {{ stock_ledger_log_above('(select ledger_build from state)') }}

    ),

    batches as (

        {{ stock_reconciliation_batches() }}

    ),

    specs as (

        {{ stock_reconciliation_specs() }}

    ),

    everything as (

        select
            (select is_everything from {{ chain_follower_table() }})
            or {{ stock_ledger_rebuilt_or_missed('log', '(select ledger_build from state)') }}
            or exists (select * from {{ stock_reconciliation_used_table('batches') }} except select * from batches)
            or exists (
                (select * from specs except select * from {{ stock_reconciliation_used_table('specs') }})
                union all
                (select * from {{ stock_reconciliation_used_table('specs') }} except select * from specs)
            ) as is_everything

    ),

    changed_keys as (

        select unit_id, vaccine_code, manufacturer_code, batch_no
        from {{ chain_changes_table(ref('int_stock_doses_given')) }}
        union
        select log.unit_id, batches.vaccine_code, batches.manufacturer_code, batches.batch_no
        from log
        left join batches
            on log.batch_id = batches.batch_id
        where log.unit_id is not null

    ),

    every_key as (

        select on_hand.unit_id, batches.vaccine_code, batches.manufacturer_code, batches.batch_no
        from {{ ref('int_stock_on_hand') }} as on_hand
        left join batches
            on on_hand.batch_id = batches.batch_id
        where on_hand.use_quantity is not null
        union
        select unit_id, vaccine_code, manufacturer_code, batch_no
        from {{ ref('int_stock_doses_given') }}

    )

    select changed_keys.*, false as is_everything
    from changed_keys
    where not (select is_everything from everything)
    union all
    select every_key.*, true
    from every_key
    where (select is_everything from everything);
    analyze {{ stock_reconciliation_keys_table() }};
    delete from {{ this }}
    where exists (select 1 from {{ stock_reconciliation_keys_table() }} where is_everything);
    {%- set key_columns = ['unit_id', 'vaccine_code', 'manufacturer_code', 'batch_no'] %}
    -- keys without nulls by plain equality (the unique key index), the few others null-safe
    delete from {{ this }} as stored
    using {{ stock_reconciliation_keys_table() }} as keys
    where {{ count_key_match(key_columns, [], 'stored', 'keys') }};
    delete from {{ this }} as stored
    using {{ stock_reconciliation_keys_table() }} as keys
    where (keys.unit_id is null or keys.vaccine_code is null or keys.manufacturer_code is null or keys.batch_no is null)
        and not keys.is_everything
        and {{ count_key_match(key_columns, key_columns, 'stored', 'keys') }};
    {%- endif %}
    delete from {{ stock_reconciliation_used_table('batches') }};
    insert into {{ stock_reconciliation_used_table('batches') }} {{ stock_reconciliation_batches() }};
    delete from {{ stock_reconciliation_used_table('specs') }};
    insert into {{ stock_reconciliation_used_table('specs') }} {{ stock_reconciliation_specs() }};
{% endmacro %}
