-- Latest version of every item the collaborative platform pushed (by its version, not by arrival order).
with source as (

    {{ relation_or_empty('raw', 'collab_item', {
        'push_id': 'bigint', 'item_no': 'integer', 'message_id': 'text', 'item_type': 'text',
        'item_key': 'text', 'item_version': 'bigint', 'payload': 'jsonb', 'received_at': 'timestamptz',
        '_load_id': 'bigint'}) }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by item_type, item_key
            order by item_version desc, push_id desc, item_no desc
        ) as version_rank
    from source

),

final as (

    select
        item_type,
        item_key,
        item_version,
        payload,
        message_id,
        push_id,
        received_at,
        _load_id
    from ranked
    where version_rank = 1

)

select * from final
