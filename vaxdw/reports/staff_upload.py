"""业务人员上传 (staff upload to the national system): success count, failure rate and upload rate by
region and unit, and the failures with the record and the remote's error (docs/exchange.md §8).

Definitions, per staff member of the population (current, not deleted staff in ``staging.stg_ops__staff``),
taking the member's latest *sent* upload item (``exchange.upload_item``, target niis, category staff):
- 上传成功 (uploaded): its feedback is accepted;
- 上传失败 (failed): its feedback is rejected (a later corrected version that was accepted counts as success);
- 待反馈 (in flight): sent, no feedback yet;
- 未上传 (not uploaded): never sent, including 暂缓上传 (held back by a blocking quality rule);
- 上传率 = 上传成功 / 人员数; 失败率 = 上传失败 / (上传成功 + 上传失败).
Region is the staff member's unit's place (marts.dim_unit): city, county or unit level.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from vaxdw.db import PgParams, connect

LEVELS = {"city": ("city_code", "city_name"), "county": ("county_code", "county_name"),
          "unit": ("unit_id", "unit_name")}
LEVEL_LABELS = {"city": "市", "county": "县(区)", "unit": "单位"}

STAFF_STATUS_SQL = """
with staff as (
    select staff_id::text as record_key, staff_id, staff_name, staff_role, unit_id
    from staging.stg_ops__staff
    where not is_deleted
),
latest_sent as (
    select distinct on (record_key) record_key, status, error_code, error_message, version, batch_id,
           first_sent_at, feedback_at
    from exchange.upload_item
    where target = 'niis' and category = 'staff' and first_sent_at is not null
    order by record_key, version desc
),
held as (
    select distinct record_key from exchange.upload_item
    where target = 'niis' and category = 'staff' and status = 'held_back'
),
attempts as (
    select record_key, count(*) as items_sent, count(*) filter (where status = 'rejected') as items_rejected
    from exchange.upload_item
    where target = 'niis' and category = 'staff' and first_sent_at is not null
    group by record_key
)
select
    staff.staff_id, staff.staff_name, staff.staff_role, staff.unit_id, units.unit_name,
    units.county_code, units.county_name, units.city_code, units.city_name,
    coalesce(latest_sent.status, case when held.record_key is not null then 'held_back' else 'not_sent' end)
        as upload_status,
    latest_sent.error_code, latest_sent.error_message, latest_sent.version, latest_sent.batch_id,
    latest_sent.first_sent_at, latest_sent.feedback_at,
    coalesce(attempts.items_sent, 0) as items_sent, coalesce(attempts.items_rejected, 0) as items_rejected
from staff
left join marts.dim_unit as units on staff.unit_id = units.unit_id
left join latest_sent on staff.record_key = latest_sent.record_key
left join held on staff.record_key = held.record_key
left join attempts on staff.record_key = attempts.record_key
"""


@dataclass
class StaffUploadReport:
    filters: dict[str, str]
    level: str
    rows: pd.DataFrame  # one row per region/unit
    totals: dict
    failures: pd.DataFrame  # one row per staff member whose latest upload was rejected


def staff_status(warehouse: PgParams) -> pd.DataFrame:
    with connect(warehouse) as conn:
        conn.execute("create schema if not exists exchange")
        from vaxdw.exchange.schema import ensure_schema

        ensure_schema(conn)
        cur = conn.execute(STAFF_STATUS_SQL)
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def _measures(frame: pd.DataFrame) -> dict:
    status = frame["upload_status"]
    ok, failed = int((status == "accepted").sum()), int((status == "rejected").sum())
    total = len(frame)
    return {
        "staff_total": total,
        "uploaded": ok,
        "failed": failed,
        "in_flight": int((status == "in_flight").sum()),
        "held_back": int((status == "held_back").sum()),
        "not_uploaded": int(status.isin(["not_sent", "held_back"]).sum()),
        "items_sent": int(frame["items_sent"].sum()),
        "items_rejected": int(frame["items_rejected"].sum()),
        "upload_rate": ok / total if total else None,
        "failure_rate": failed / (ok + failed) if ok + failed else None,
    }


def query_staff_upload(warehouse: PgParams, level: str = "county", region_code: str | None = None,
                       unit_id: str | None = None) -> StaffUploadReport:
    if level not in LEVELS:
        raise ValueError(f"统计级别无效：{level}（可选 {', '.join(LEVELS)}）")
    frame = staff_status(warehouse)
    if region_code:
        frame = frame[(frame["city_code"] == region_code) | (frame["county_code"] == region_code)]
    if unit_id:
        frame = frame[frame["unit_id"] == unit_id]
    code_col, name_col = LEVELS[level]
    rows = []
    for (code, name), group in frame.groupby([code_col, name_col], dropna=False, sort=True):
        rows.append({"region_code": code, "region_name": name, **_measures(group)})
    failures = frame[frame["upload_status"] == "rejected"].sort_values(["unit_id", "staff_id"])
    filters = {"统计级别": LEVEL_LABELS[level], "地区": region_code or "全省"}
    if unit_id:
        filters["单位"] = unit_id
    return StaffUploadReport(filters, level, pd.DataFrame(rows), _measures(frame), failures.reset_index(drop=True))


def failure_detail(warehouse: PgParams, staff_id: int) -> dict:
    """The record as sent and every feedback of one staff member's uploads (the drill-down). ``payload`` is
    None for an item accepted longer ago than the outbox retention (its payload pruned, vaxdw/exchange/retention.py)."""
    with connect(warehouse) as conn:
        cur = conn.execute("""
            select item.version, item.idempotency_key, item.op, upload_payload.payload, item.status,
                   item.first_sent_at, feedback.batch_id, feedback.status as feedback_status, feedback.code,
                   feedback.message, feedback.received_at
            from exchange.upload_item as item
            left join exchange.upload_payload on item.item_id = upload_payload.item_id
            left join exchange.upload_feedback as feedback on item.item_id = feedback.item_id
            where item.target = 'niis' and item.category = 'staff' and item.record_key = %s
            order by item.version, feedback.feedback_id
        """, (str(staff_id),))
        names = [d.name for d in cur.description]
        history = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    return {"staff_id": staff_id, "history": history}
