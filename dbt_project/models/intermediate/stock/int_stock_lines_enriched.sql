-- The staging views pick the latest version per key with a window function; the planner badly
-- underestimates their row counts and picked nested loops over stock lines × documents (a build that did
-- not finish in 15 minutes on one seed). Hash joins are right for every size here.
{{ config(pre_hook="set enable_nestloop = off", post_hook="reset enable_nestloop") }}

-- Lines and documents: the operational source's, plus the collaborative platform's purchase inbound documents
-- the source does not have (int_stock_collab_purchase); batches and specifications merged from both
-- (int_stock_batches, int_stock_specs). record_source tells which system a line comes from.
with collab_purchase as (

    select * from {{ ref('int_stock_collab_purchase') }}

),

lines as (

    select
        line_id,
        doc_id,
        batch_id,
        quantity,
        dose_quantity,
        'ops' as record_source
    from {{ ref('stg_ops__stock_line') }}
    union all
    select
        line_id,
        doc_id,
        batch_id,
        quantity,
        dose_quantity,
        'collab' as record_source
    from collab_purchase

),

docs as (

    select
        doc_id,
        doc_no,
        doc_type,
        unit_id,
        doc_date,
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
        doc_type,
        unit_id,
        doc_date,
        counterparty_unit_id,
        counterparty_name,
        handler,
        reason
    from collab_purchase

),

batches as (

    select * from {{ ref('int_stock_batches') }}

),

specs as (

    select * from {{ ref('int_stock_specs') }}

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
        lines.line_id,
        docs.doc_id,
        docs.doc_no,
        docs.doc_type,
        docs.doc_date,
        docs.unit_id,
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
        lines.batch_id,
        batches.batch_no,
        batches.production_date,
        batches.expiry_date,
        batches.lot_release_no,
        specs.spec_id,
        specs.spec_name,
        specs.vaccine_code,
        specs.manufacturer_code,
        specs.doses_per_unit,
        specs.package_unit,
        specs.is_nip,
        lines.quantity,
        lines.dose_quantity,
        lines.record_source,
        batches.batch_source,
        docs.doc_type like 'IN\_%' as is_in,
        case when docs.doc_type like 'IN\_%' then 1 else -1 end as direction
    from lines
    inner join docs
        on lines.doc_id = docs.doc_id
    left join batches
        on lines.batch_id = batches.batch_id
    left join specs
        on batches.spec_id = specs.spec_id
    left join units
        on docs.unit_id = units.unit_id

),

final as (

    select
        joined.*,
        joined.direction * joined.quantity as signed_quantity,
        joined.direction * joined.dose_quantity as signed_dose_quantity,
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
