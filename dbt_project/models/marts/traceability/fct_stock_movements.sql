{{ config(
    post_hook=[access_scoped('region_code', 'vaccine_code')],
    indexes=[{'columns': ['doc_date']}],
) }}
-- (the doc_date index serves the ledger's newest-first reads: Superset's 出入库账簿 detail, limit 500)

with lines as (

    select * from {{ ref('int_stock_lines_enriched') }}

),

vaccines as (

    select * from {{ ref('stg_ops__vaccine') }}

),

manufacturers as (

    select * from {{ ref('stg_ops__manufacturer') }}

),

final as (

    select
        lines.line_id,
        lines.doc_id,
        lines.doc_no,
        lines.doc_type,
        doc_types.doc_type_name,
        lines.doc_date,
        lines.is_in,
        lines.unit_id,
        lines.unit_name,
        lines.unit_type,
        lines.parent_unit_id,
        lines.region_code,
        lines.county_code,
        lines.county_name,
        lines.city_code,
        lines.city_name,
        lines.counterparty_unit_id,
        lines.counterparty_name,
        lines.handler,
        lines.reason,
        lines.spec_id,
        lines.spec_name,
        lines.vaccine_code,
        vaccines.vaccine_name,
        lines.manufacturer_code,
        manufacturers.manufacturer_name,
        lines.is_nip,
        lines.doses_per_unit,
        lines.package_unit,
        lines.batch_id,
        lines.batch_no,
        lines.expiry_date,
        lines.lot_release_no,
        lines.quantity,
        lines.dose_quantity,
        lines.signed_quantity,
        lines.signed_dose_quantity,
        sum(lines.signed_quantity) over balance_window as balance_after,
        sum(lines.signed_dose_quantity) over balance_window as dose_balance_after,
        lines.unit_price,
        lines.amount,
        lines.storage_fee,
        lines.shipping_fee
    from lines
    left join {{ ref('ref_stock_doc_type') }} as doc_types
        on lines.doc_type = doc_types.doc_type
    left join vaccines
        on lines.vaccine_code = vaccines.vaccine_code
    left join manufacturers
        on lines.manufacturer_code = manufacturers.manufacturer_code
    window balance_window as (
        partition by lines.unit_id, lines.batch_id
        order by lines.doc_date asc, lines.is_in desc, lines.doc_id asc, lines.line_id asc
        rows between unbounded preceding and current row
    )

)

select * from final
