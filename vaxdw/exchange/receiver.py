"""The push receiver of the collaborative platform (docs/exchange.md §5): a small HTTP service.

For every authenticated push it first stores the body in ``exchange.inbox`` and commits, then checks it:
- a message id (header ``X-Message-Id``, else the body's ``message_id``, else the body's SHA-256) seen before
  is a duplicate: recorded as such and answered with the first delivery's results, nothing loaded twice;
- a body that cannot be read (not UTF-8, not JSON, no items, oversized) is kept with status ``malformed`` and
  its reason, and answered 400 with that reason;
- otherwise every item is validated on its own: valid items wait for the DAG (``inbox.load_inbox``), rejected
  ones keep their code and reason; one bad item never costs the others.
The answer carries one result per item. Only then is the push acknowledged (HTTP 200).
"""

from __future__ import annotations

import hashlib
import json

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from vaxdw.db import PgParams, connect
from vaxdw.exchange.push_validation import item_key, parse_push, validate_item
from vaxdw.exchange.schema import ensure_schema
from vaxdw.exchange.signing import verify


def store_push(warehouse: PgParams, sender: str, push_type: str, message_id: str | None, body: bytes,
               content_type: str | None) -> tuple[int, dict]:
    """Store, de-duplicate and validate one push; return (HTTP status, answer)."""
    sha = hashlib.sha256(body).hexdigest()
    with connect(warehouse, autocommit=True) as conn:
        message, malformed = parse_push(body)
        if message_id is None and message is not None and isinstance(message.get("message_id"), str):
            message_id = message["message_id"]
        message_id = message_id or f"sha256:{sha}"
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(hashtext('vaxdw.exchange.inbox.' || %s || %s))",
                         (sender, message_id))
            first = conn.execute(
                "select push_id, status, reason from exchange.inbox where sender = %s and message_id = %s "
                "and status <> 'duplicate'", (sender, message_id)).fetchone()
            push_id = conn.execute(
                "insert into exchange.inbox (message_id, sender, push_type, content_type, body, body_sha256, "
                "status, reason, duplicate_of) values (%s, %s, %s, %s, %s, %s, %s, %s, %s) returning push_id",
                (message_id, sender, push_type, content_type, body, sha,
                 "duplicate" if first else "received",
                 "重复推送（消息编号已接收）" if first else None, first[0] if first else None)).fetchone()[0]
        if first:
            return _answer(conn, first[0], message_id, duplicate=True)
        with conn.transaction():
            if malformed:
                conn.execute("update exchange.inbox set status = 'malformed', reason = %s where push_id = %s",
                             (malformed, push_id))
            else:
                _validate_items(conn, push_id, message["push_type"], message)
        return _answer(conn, push_id, message_id, duplicate=False)


def _validate_items(conn: psycopg.Connection, push_id: int, push_type: str, message: dict) -> None:
    valid = rejected = 0
    for item_no, item in enumerate(message["items"], start=1):
        problem = validate_item(push_type, item)
        item_type = item.get("item_type") if isinstance(item, dict) else None
        if problem is None:
            key, version, payload = item_key(item_type, item["data"]), item["version"], item["data"]
            valid += 1
        else:
            key = version = None
            payload = item if isinstance(item, dict) else {"value": item}
            rejected += 1
        conn.execute(
            "insert into exchange.inbox_item (push_id, item_no, item_type, item_key, item_version, payload, "
            "status, reason_code, reason) values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (push_id, item_no, item_type if isinstance(item_type, str) else None, key, version,
             json.dumps(payload, ensure_ascii=False, default=str), "valid" if problem is None else "rejected",
             problem[0] if problem else None, problem[1] if problem else None))
    conn.execute("update exchange.inbox set status = 'validated', items_total = %s, items_valid = %s, "
                 "items_rejected = %s where push_id = %s", (valid + rejected, valid, rejected, push_id))


def _answer(conn: psycopg.Connection, push_id: int, message_id: str, duplicate: bool) -> tuple[int, dict]:
    status, reason = conn.execute("select status, reason from exchange.inbox where push_id = %s",
                                  (push_id,)).fetchone()
    if status == "malformed":
        return 400, {"message_id": message_id, "status": "malformed", "code": "P400", "reason": reason,
                     "duplicate": duplicate}
    items = [
        {"item_no": n, "status": s, "code": c, "reason": r}
        for n, s, c, r in conn.execute(
            "select item_no, status, reason_code, reason from exchange.inbox_item where push_id = %s "
            "order by item_no", (push_id,))
    ]
    return 200, {"message_id": message_id, "status": "received", "duplicate": duplicate, "items": items}


def create_receiver_app(warehouse: PgParams, secrets: dict[str, str]) -> FastAPI:
    app = FastAPI(title="vaxdw push receiver")
    with connect(warehouse, autocommit=True) as conn:
        ensure_schema(conn)

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.post("/api/v1/push/{push_type}")
    async def push(push_type: str, request: Request):
        import anyio

        body = await request.body()
        reason = verify(secrets, request.headers, "POST", request.url.path, body)
        if reason:
            return JSONResponse({"code": "P401", "reason": f"鉴权失败：{reason}"}, status_code=401)
        status, answer = await anyio.to_thread.run_sync(
            store_push, warehouse, request.headers["x-app-id"], push_type, request.headers.get("x-message-id"),
            body, request.headers.get("content-type"))
        return JSONResponse(answer, status_code=status)

    return app
