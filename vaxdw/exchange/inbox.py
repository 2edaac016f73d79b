"""From the push inbox into ``raw.collab_item``: every valid item of every validated push, exactly once.

The dbt models ``stg_collab__*`` pick the latest version of each item (by the platform's ``version``, not
by arrival, so out-of-order pushes resolve correctly) and the marts merge them into the product and batch
dimensions and the purchase-inbound fact.
"""

from __future__ import annotations

from vaxdw.db import PgParams, connect
from vaxdw.exchange.schema import ensure_schema, next_load_id


def load_inbox(warehouse: PgParams) -> dict:
    with connect(warehouse, autocommit=True) as conn:
        ensure_schema(conn)
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(hashtext('vaxdw.exchange.load_inbox'))")
            load_id = next_load_id(conn)
            pushes = conn.execute(
                "update exchange.inbox set loaded_load_id = %s where status = 'validated' "
                "and loaded_load_id is null returning push_id", (load_id,)).fetchall()
            items = conn.execute("""
                insert into raw.collab_item (push_id, item_no, message_id, item_type, item_key, item_version,
                                             payload, received_at, _load_id)
                select item.push_id, item.item_no, inbox.message_id, item.item_type, item.item_key,
                       item.item_version, item.payload, inbox.received_at, %s
                from exchange.inbox_item as item
                inner join exchange.inbox as inbox on item.push_id = inbox.push_id
                where inbox.loaded_load_id = %s and item.status = 'valid'
            """, (load_id, load_id)).rowcount
        counts = dict(conn.execute("select status, count(*) from exchange.inbox group by status").fetchall())
        rejected = conn.execute("select count(*) from exchange.inbox_item where status = 'rejected'").fetchone()[0]
    return {"load_id": load_id, "pushes_loaded": len(pushes), "items_loaded": items,
            "inbox_by_status": counts, "items_rejected_total": rejected}
