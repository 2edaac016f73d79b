-- 疫苗批次 merged from the operational source and the collaborative platform's pushes.
-- A pushed batch names a product, not a specification: it is placed on the product's specification (the
-- lowest 品规编码 when the platform pushed several), which gives it the source's batch code
-- 品规编码:批号. Same precedence as int_stock_specs: the source's values win, the platform fills empty
-- attributes and adds the batches the source does not know. batch_source: 'ops', 'ops+collab', 'collab'.
with ops_batches as (

    select * from {{ ref('stg_ops__vaccine_batch') }}

),

collab_items as (

    select * from {{ ref('stg_collab__item') }}

),

product_specs as (

    select
        payload ->> 'product_code' as product_code,
        min(item_key) as spec_id
    from collab_items
    where item_type = 'specification'
    group by payload ->> 'product_code'

),

collab_batches as (

    select
        product_specs.spec_id || ':' || (collab_items.payload ->> 'batch_no') as batch_id,
        product_specs.spec_id,
        collab_items.payload ->> 'batch_no' as batch_no,
        (collab_items.payload ->> 'expiry_date')::date as expiry_date,
        collab_items.payload ->> 'lot_release_no' as lot_release_no,
        collab_items.item_key as collab_batch_key
    from collab_items
    inner join product_specs
        on collab_items.payload ->> 'product_code' = product_specs.product_code
    where collab_items.item_type = 'batch'

),

final as (

    select
        coalesce(ops_batches.batch_id, collab_batches.batch_id) as batch_id,
        coalesce(ops_batches.spec_id, collab_batches.spec_id) as spec_id,
        coalesce(ops_batches.batch_no, collab_batches.batch_no) as batch_no,
        ops_batches.production_date,
        coalesce(ops_batches.expiry_date, collab_batches.expiry_date) as expiry_date,
        coalesce(ops_batches.lot_release_no, collab_batches.lot_release_no) as lot_release_no,
        collab_batches.collab_batch_key,
        case
            when collab_batches.batch_id is null then 'ops'
            when ops_batches.batch_id is null then 'collab'
            else 'ops+collab'
        end as batch_source
    from ops_batches
    full outer join collab_batches
        on ops_batches.batch_id = collab_batches.batch_id

)

select * from final
