-- 采购入库单据 lines pushed by the collaborative platform: one row per document line (latest document version).
with items as (

    select * from {{ ref('stg_collab__item') }}

),

documents as (

    select
        item_key as doc_no,
        payload,
        item_version,
        received_at
    from items
    where item_type = 'purchase_inbound'

),

lines as (

    select
        documents.doc_no,
        document_lines.line_ordinal::integer as line_no,
        documents.payload ->> 'unit_id' as unit_id,
        documents.payload ->> 'supplier_code' as supplier_code,
        (documents.payload ->> 'doc_date')::date as doc_date,
        document_lines.line_item ->> 'product_code' as product_code,
        document_lines.line_item ->> 'batch_no' as batch_no,
        (document_lines.line_item ->> 'quantity')::integer as quantity,
        documents.item_version,
        documents.received_at
    from documents
    cross join
        lateral jsonb_array_elements(documents.payload -> 'lines')
        with ordinality as document_lines (line_item, line_ordinal)

),

final as (

    select
        doc_no || '-' || line_no as line_key,
        *
    from lines

)

select * from final
