{{ config(
    materialized='view',
    post_hook=[access_scoped_view()],
) }}
-- A view, not a table: the ledger (int_stock_ledger, incremental) is the one stored copy of the lines; the
-- names and regions here follow the evaluation date and would make a table change everywhere every run.
-- Scoped by its own where clause (macro access_scoped_view_filter, docs/access.md). Newest-first reads
-- (Superset's 出入库账簿 detail, limit 500) use the ledger's doc_date index.

-- The stock ledger (int_stock_ledger: lines, documents' dates and types, running balances) with what
-- describes it: the document, the unit and its regions, batch, specification, vaccine, manufacturer, the
-- price in force on the document date, and the storage and shipping fee of non-NIP outbound transfers.
with ledger as (

    select * from {{ ref('int_stock_ledger') }}

),

collab_purchase as (

    select * from {{ ref('int_stock_collab_purchase') }}

),

docs as (

    select
        doc_id,
        doc_no,
        counterparty_unit_id,
        counterparty_name,
        handler,
        reason
    from {{ ref('stg_ops__stock_doc') }}
    where not is_deleted
    union all
    select distinct
        doc_id,
        doc_no,
        counterparty_unit_id,
        counterparty_name,
        handler,
        reason
    from collab_purchase

),

batches as (

    select * from {{ ref('int_stock_batch_attributes') }}

),

prices as (

    select * from {{ ref('stg_ops__vaccine_price') }}

),

fees as (

    select * from {{ ref('stg_ops__fee_config') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

joined as (

    select
        ledger.line_id,
        ledger.doc_id,
        docs.doc_no,
        ledger.doc_type,
        doc_types.doc_type_name,
        ledger.doc_date,
        ledger.is_in,
        ledger.unit_id,
        units.unit_name,
        units.unit_type,
        units.parent_unit_id,
        {{ unit_region_code("units") }} as region_code,
        units.county_code,
        units.county_name,
        units.city_code,
        units.city_name,
        docs.counterparty_unit_id,
        docs.counterparty_name,
        docs.handler,
        docs.reason,
        batches.spec_id,
        batches.spec_name,
        batches.vaccine_code,
        batches.vaccine_name,
        batches.manufacturer_code,
        batches.manufacturer_name,
        batches.is_nip,
        batches.doses_per_unit,
        batches.package_unit,
        ledger.batch_id,
        batches.batch_no,
        batches.expiry_date,
        batches.lot_release_no,
        ledger.quantity,
        ledger.dose_quantity,
        ledger.signed_quantity,
        ledger.signed_dose_quantity,
        ledger.balance_after,
        ledger.dose_balance_after
    from ledger
    inner join docs
        on ledger.doc_id = docs.doc_id
    left join batches
        on ledger.batch_id = batches.batch_id
    left join units
        on ledger.unit_id = units.unit_id
    left join {{ ref('ref_stock_doc_type') }} as doc_types
        on ledger.doc_type = doc_types.doc_type

),

final as (

    select
        joined.*,
        prices.unit_price,
        joined.quantity * prices.unit_price as amount,
        case
            when not joined.is_nip and joined.doc_type = 'OUT_TRANSFER'
                then joined.dose_quantity * storage_fees.fee_per_dose
        end as storage_fee,
        case
            when not joined.is_nip and joined.doc_type = 'OUT_TRANSFER'
                then joined.dose_quantity * shipping_fees.fee_per_dose
        end as shipping_fee
    from joined
    left join prices
        on
            joined.spec_id = prices.spec_id
            and joined.doc_date >= prices.effective_from
            and (prices.effective_to is null or joined.doc_date <= prices.effective_to)
    left join fees as storage_fees
        on
            storage_fees.fee_type = 'storage'
            and joined.unit_type = storage_fees.unit_level
            and joined.doc_date >= storage_fees.effective_from
            and (storage_fees.effective_to is null or joined.doc_date <= storage_fees.effective_to)
    left join fees as shipping_fees
        on
            shipping_fees.fee_type = 'shipping'
            and joined.unit_type = shipping_fees.unit_level
            and joined.doc_date >= shipping_fees.effective_from
            and (shipping_fees.effective_to is null or joined.doc_date <= shipping_fees.effective_to)

)

select * from final
where {{ access_scoped_view_filter('region_code', 'vaccine_code') }}
