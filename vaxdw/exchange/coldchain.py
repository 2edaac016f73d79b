"""Third-party cold-chain temperature feeds → one model (device, time, temperature, vendor).

Each vendor has a parser for its own format (docs/exchange.md §6): vendor A JSON/UTF-8 with UTC times,
vendor B CSV/GBK with naive Asia/Shanghai times and Chinese headers. Times are stored as timestamptz.
Rows that cannot be mapped (temperature not a number, unknown time format, missing device) go to
``exchange.coldchain_reject`` with the reason and the raw line; the rest of the page is loaded. The cursor
moves in the same transaction as the rows, so a crash re-reads the page and loads nothing twice.

Supervision (stopped devices, late uploads, excursions) is in the dbt marts ``rpt_coldchain_*``;
:func:`raise_alerts` turns excursions and stopped devices into ``ops.alert_event`` rows, once per event, and
hands the new ones to the one alert path (:mod:`vaxdw.alerts`: DingTalk + email, de-duplicated, recovery
message): one summary alert per kind and run, resolved when a run finds no new excursion / no stopped device.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

import httpx

from vaxdw.db import PgParams, connect
from vaxdw.exchange.config import VendorFeed
from vaxdw.exchange.schema import ensure_schema, next_load_id

log = logging.getLogger(__name__)
SHANGHAI = timezone(timedelta(hours=8))
PAGE = 2000


@dataclass
class Reading:
    device_id: str
    measured_at: datetime
    temperature_c: Decimal
    uploaded_at: datetime | None


@dataclass
class Page:
    readings: list[Reading] = field(default_factory=list)
    rejects: list[tuple[str, str]] = field(default_factory=list)  # (raw line, reason)
    next_cursor: str = "0"


def _temperature(value) -> Decimal:
    if isinstance(value, bool) or value in (None, ""):
        raise ValueError
    number = Decimal(str(value))
    if not number.is_finite() or not Decimal("-90") <= number <= Decimal("60"):
        raise ValueError
    return number


def parse_utc(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def parse_local(value: str) -> datetime:
    return datetime.strptime(value, "%Y/%m/%d %H:%M:%S").replace(tzinfo=SHANGHAI)


def parse_vendor_a(payload: dict) -> Page:
    page = Page(next_cursor=str(payload.get("next", 0)))
    for row in payload.get("data", []):
        raw = json.dumps(row, ensure_ascii=False)
        try:
            if not row.get("sn"):
                raise KeyError("sn")
            measured = parse_utc(row["ts"])
        except (KeyError, ValueError, TypeError):
            page.rejects.append((raw, "采集时间或设备编号无法识别（应为 UTC 'YYYY-MM-DDTHH:MM:SSZ'）"))
            continue
        try:
            temp = _temperature(row.get("temp"))
        except (ValueError, InvalidOperation):
            page.rejects.append((raw, f"温度不是有效数值：{row.get('temp')!r}"))
            continue
        uploaded = None
        if row.get("recv"):
            try:
                uploaded = parse_utc(row["recv"])
            except ValueError:
                uploaded = None
        page.readings.append(Reading(row["sn"], measured, temp, uploaded))
    return page


def parse_vendor_b(content: bytes, after: str) -> Page:
    text = content.decode("gbk")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    expected = ["序号", "设备编号", "采集时间", "温度(℃)", "上报时间"]
    if header != expected:
        raise ValueError(f"vendor B CSV header changed: {header}")
    page = Page(next_cursor=after)
    for row in reader:
        raw = ",".join(row)
        if len(row) != 5 or not row[0].isdigit():
            page.rejects.append((raw, "CSV行的列数或序号不正确"))
            continue
        page.next_cursor = row[0]
        try:
            measured = parse_local(row[2])
        except ValueError:
            page.rejects.append((raw, f"采集时间无法识别（应为本地时间 'YYYY/MM/DD HH:MM:SS'）：{row[2]!r}"))
            continue
        try:
            temp = _temperature(row[3])
        except (ValueError, InvalidOperation):
            page.rejects.append((raw, f"温度不是有效数值：{row[3]!r}"))
            continue
        try:
            uploaded = parse_local(row[4]) if row[4] else None
        except ValueError:
            uploaded = None
        page.readings.append(Reading(row[1], measured, temp, uploaded))
    return page


def _fetch_page(client: httpx.Client, feed: VendorFeed, cursor: str) -> Page:
    if feed.format == "json":
        response = client.get(f"{feed.url}/api/readings", params={"after": cursor, "limit": PAGE},
                              headers={"Authorization": f"Bearer {feed.token}"})
        response.raise_for_status()
        return parse_vendor_a(response.json())
    response = client.get(f"{feed.url}/readings.csv", params={"after": cursor, "limit": PAGE, "key": feed.token})
    response.raise_for_status()
    return parse_vendor_b(response.content, cursor)


def _fetch_devices(client: httpx.Client, feed: VendorFeed) -> list[tuple]:
    if feed.format == "json":
        response = client.get(f"{feed.url}/api/devices", headers={"Authorization": f"Bearer {feed.token}"})
        response.raise_for_status()
        return [(d["sn"], d.get("org"), d.get("name"), d.get("kind"), d.get("low"), d.get("high"))
                for d in response.json()["data"]]
    response = client.get(f"{feed.url}/devices.csv", params={"key": feed.token})
    response.raise_for_status()
    rows = list(csv.reader(io.StringIO(response.content.decode("gbk"))))[1:]
    kinds = {"冷藏": "refrigerator", "冷冻": "freezer"}
    return [(r[0], r[1], r[2], kinds.get(r[3], r[3]), r[4] or None, r[5] or None) for r in rows if len(r) == 6]


def pull_vendor(warehouse: PgParams, feed: VendorFeed) -> dict:
    """Fetch the vendor's device list and all readings after the stored cursor."""
    counts = {"vendor": feed.vendor, "devices": 0, "readings": 0, "rejected": 0, "pages": 0}
    with httpx.Client(verify=feed.verify, timeout=feed.timeout_seconds) as client, connect(warehouse, autocommit=True) as conn:
        ensure_schema(conn)
        devices = _fetch_devices(client, feed)
        with conn.transaction():
            load_id = next_load_id(conn)
            with conn.cursor().copy("copy raw.coldchain_device (vendor, device_id, unit_id, device_name, "
                                    "device_type, min_c, max_c, _load_id) from stdin") as copy:
                for device in devices:
                    copy.write_row((feed.vendor, *device, load_id))
        counts["devices"] = len(devices)
        while True:
            row = conn.execute("select cursor from exchange.coldchain_cursor where vendor = %s",
                               (feed.vendor,)).fetchone()
            cursor = row[0] if row else "0"
            page = _fetch_page(client, feed, cursor)
            if page.next_cursor == cursor and not page.readings and not page.rejects:
                break
            with conn.transaction():
                load_id = next_load_id(conn)
                with conn.cursor().copy("copy raw.coldchain_reading (vendor, device_id, measured_at, temperature_c, "
                                        "uploaded_at, _load_id) from stdin") as copy:
                    for r in page.readings:
                        copy.write_row((feed.vendor, r.device_id, r.measured_at, r.temperature_c, r.uploaded_at,
                                        load_id))
                for raw, reason in page.rejects:
                    conn.execute("insert into exchange.coldchain_reject (vendor, load_id, raw_line, reason) "
                                 "values (%s, %s, %s, %s)", (feed.vendor, load_id, raw, reason))
                conn.execute("insert into exchange.coldchain_cursor (vendor, cursor) values (%s, %s) "
                             "on conflict (vendor) do update set cursor = excluded.cursor, updated_at = now()",
                             (feed.vendor, page.next_cursor))
            counts["pages"] += 1
            counts["readings"] += len(page.readings)
            counts["rejected"] += len(page.rejects)
            if page.next_cursor == cursor:
                break
    return counts


ALERT_SQL = """
insert into ops.alert_event (event_key, source, severity, unit_id, title_zh, detail, occurred_at)
select
    'coldchain:excursion:' || device_id || ':' || to_char(started_at, 'YYYYMMDDHH24MISS'),
    'coldchain', 'critical', unit_id,
    coalesce(unit_name, unit_id, '未知单位') || ' ' || coalesce(device_name, device_id) || ' 温度超出范围 '
        || round(duration_minutes) || ' 分钟（' || min_c || '～' || max_c || '℃，极值 ' || extreme_c || '℃）',
    jsonb_build_object('device_id', device_id, 'vendor', vendor, 'started_at', started_at, 'ended_at', ended_at,
                       'duration_minutes', duration_minutes, 'extreme_c', extreme_c, 'min_c', min_c, 'max_c', max_c,
                       'direction', direction),
    started_at
from marts.rpt_coldchain_excursions
where is_alert
on conflict (event_key) do nothing
returning title_zh
"""

STOPPED_SQL = """
insert into ops.alert_event (event_key, source, severity, unit_id, title_zh, detail, occurred_at)
select
    'coldchain:stopped:' || device_id || ':' || to_char(last_measured_at, 'YYYYMMDDHH24MISS'),
    'coldchain', 'warning', unit_id,
    coalesce(unit_name, unit_id, '未知单位') || ' ' || coalesce(device_name, device_id) || ' 停止上报（最后一条 '
        || to_char(last_measured_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') || '）',
    jsonb_build_object('device_id', device_id, 'vendor', vendor, 'last_measured_at', last_measured_at,
                       'silent_minutes', silent_minutes),
    last_measured_at
from marts.rpt_coldchain_devices
where is_stopped
on conflict (event_key) do nothing
returning title_zh
"""


def raise_alerts(warehouse: PgParams) -> dict:
    with connect(warehouse, autocommit=True) as conn:
        ensure_schema(conn)
        if not conn.execute("select to_regclass('marts.rpt_coldchain_excursions') is not null").fetchone()[0]:
            return {"excursion_alerts": 0, "stopped_alerts": 0}
        with conn.transaction():
            excursions = [row[0] for row in conn.execute(ALERT_SQL).fetchall()]
            stopped = [row[0] for row in conn.execute(STOPPED_SQL).fetchall()]
        still_stopped = conn.execute("select count(*) from marts.rpt_coldchain_devices where is_stopped").fetchone()[0]
    _notify(warehouse, "coldchain:excursion", "critical", "冷链温度超标", excursions, resolved=not excursions)
    _notify(warehouse, "coldchain:stopped", "warning", "冷链设备停止上报", stopped, resolved=still_stopped == 0)
    return {"excursion_alerts": len(excursions), "stopped_alerts": len(stopped)}


def _notify(warehouse: PgParams, key: str, severity: str, what: str, titles: list[str], resolved: bool,
            shown: int = 5) -> None:
    """One summary alert for the new events of a kind (a robot gets one message, not one per device)."""
    from vaxdw.alerts import raise_alert, resolve_alert

    if titles:
        more = f" 等（共 {len(titles)} 条）" if len(titles) > shown else ""
        raise_alert(warehouse, key, severity, "coldchain",
                    f"{what} {len(titles)} 条新增：" + "；".join(titles[:shown]) + more)
    elif resolved:
        resolve_alert(warehouse, key)
