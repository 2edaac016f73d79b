-- 采购入库单据 pushed by the collaborative platform, as stock-flow lines (doc_type IN_PURCHASE) of the
-- receiving unit. A pushed document whose 单据号 (doc_no) also exists in the operational source — any type,
-- voided ones included — is that source's document: it is counted from the source only, never twice.
-- (The pushes carry no traceability codes, so the document number is the match.) Ids are negative and
-- stable (from doc_no and line number), disjoint from the source's positive ids. Quantities are 支/瓶;
-- 人份 = quantity × doses_per_unit of the batch's specification.
with collab_items as (

    select * from {{ ref('stg_collab__item') }}

),

ops_docs as (

    select distinct doc_no from {{ ref('stg_ops__stock_doc') }}

),

product_specs as (

    select
        payload ->> 'product_code' as product_code,
        min(item_key) as spec_id
    from collab_items
    where item_type = 'specification'
    group by payload ->> 'product_code'

),

specs as (

    select * from {{ ref('int_stock_specs') }}

),

documents as (

    select
        collab_items.item_key as doc_no,
        collab_items.payload
    from collab_items
    left join ops_docs
        on collab_items.item_key = ops_docs.doc_no
    where collab_items.item_type = 'purchase_inbound' and ops_docs.doc_no is null

),

lines as (

    select
        documents.doc_no,
        document_lines.line_no::integer as line_no,
        documents.payload ->> 'unit_id' as unit_id,
        (documents.payload ->> 'doc_date')::date as doc_date,
        documents.payload ->> 'supplier_code' as supplier_code,
        document_lines.line_item ->> 'product_code' as product_code,
        document_lines.line_item ->> 'batch_no' as batch_no,
        (document_lines.line_item ->> 'quantity')::integer as quantity
    from documents
    cross join
        lateral jsonb_array_elements(documents.payload -> 'lines')
        with ordinality as document_lines (line_item, line_no)

),

final as (

    select
        -1 * ('x' || substr(md5('collab-line:' || lines.doc_no || '-' || lines.line_no), 1, 15))::bit(60)::bigint
            as line_id,
        -1 * ('x' || substr(md5('collab-doc:' || lines.doc_no), 1, 15))::bit(60)::bigint as doc_id,
        lines.doc_no,
        'IN_PURCHASE' as doc_type,
        lines.unit_id,
        lines.doc_date,
        null::text as counterparty_unit_id,
        lines.supplier_code as counterparty_name,
        null::text as handler,  -- noqa: RF04
        '全国疫苗协同服务平台推送' as reason,
        product_specs.spec_id || ':' || lines.batch_no as batch_id,
        lines.quantity,
        lines.quantity * specs.doses_per_unit as dose_quantity
    from lines
    left join product_specs
        on lines.product_code = product_specs.product_code
    left join specs
        on product_specs.spec_id = specs.spec_id

)

select * from final
