"""Two temperature-monitoring vendors as HTTP servers with different formats (docs/exchange.md §6).

- Vendor ``A`` (JSON, UTF-8, times in UTC with ``Z``): ``GET /vendor-a/api/devices`` and
  ``GET /vendor-a/api/readings?after=<seq>&limit=<n>`` → ``{"data": [...], "next": seq}``; bearer token.
- Vendor ``B`` (CSV, GBK, Chinese headers, local Asia/Shanghai time ``YYYY/MM/DD HH:MM:SS``):
  ``GET /vendor-b/devices.csv`` and ``GET /vendor-b/readings.csv?after=<seq>``; token as query ``key``.

Readings are generated once per seed into a SQLite file (persistent across restarts): every device reports
every ``interval`` minutes over ``hours`` hours ending at ``end`` (naive local time), with excursions (a
stretch out of range), a device that stops reporting, late uploads (received long after measuring),
duplicated rows, and malformed rows (bad temperature text, unknown time format). ``truth`` tells the tests
what was injected.
"""

from __future__ import annotations

import csv
import io
import json
import random
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response

SHANGHAI = timezone(timedelta(hours=8))


@dataclass
class Truth:
    excursions: list[dict] = field(default_factory=list)  # device, start, end (local), minutes
    stopped: list[str] = field(default_factory=list)
    late: int = 0
    duplicates: int = 0
    malformed: int = 0
    readings: int = 0


def generate(path: Path, unit_ids: list[str], seed: int = 1, end: datetime | None = None, hours: int = 24,
             interval: int = 10) -> Truth:
    rng = random.Random(seed)
    end = end or datetime(2026, 6, 30, 12, 0)
    start = end - timedelta(hours=hours)
    truth = Truth()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    conn = sqlite3.connect(str(path))
    conn.executescript("""
        create table device (vendor text, device_id text, unit_id text, name text, type text, min_c real,
                             max_c real);
        create table reading (seq integer primary key autoincrement, vendor text, device_id text,
                              measured text, temp text, uploaded text);
        create table meta (k text primary key, v text);
    """)
    devices = []
    for i, unit in enumerate(unit_ids):
        vendor = "A" if i % 2 == 0 else "B"
        kinds = [("refrigerator", None, None)] + ([("freezer", -25.0, -15.0)] if i % 3 == 0 else [])
        for j, (kind, lo, hi) in enumerate(kinds):
            device_id = f"{vendor}{i:04d}{j}"
            devices.append((vendor, device_id, unit, f"{'冰箱' if kind == 'refrigerator' else '冷冻柜'}{j + 1}",
                            kind, lo, hi))
    conn.executemany("insert into device values (?, ?, ?, ?, ?, ?, ?)", devices)
    steps = hours * 60 // interval
    rows = []
    for vendor, device_id, _unit, _name, kind, _lo, hi in devices:
        base = 5.0 if kind == "refrigerator" else -20.0
        excursion = None
        if rng.random() < 0.3:
            length = rng.choice([2, 3, 6, 9])  # readings; ≥ 4 readings (30 min) counts at the default threshold
            first = rng.randint(10, steps - 20)
            excursion = (first, first + length)
            high = (hi if hi is not None else 8.0) + 3.0
            truth.excursions.append({"device_id": device_id, "first": first, "readings": length,
                                     "start": start + timedelta(minutes=interval * first),
                                     "minutes": interval * length, "temp": high})
        stop_at = steps
        if rng.random() < 0.08:
            stop_at = rng.randint(steps // 2, steps - 12)
            truth.stopped.append(device_id)
        for s in range(stop_at):
            measured = start + timedelta(minutes=interval * s)
            temp = round(base + rng.uniform(-1.5, 1.5), 1)
            if excursion and excursion[0] <= s < excursion[1]:
                temp = round((hi if hi is not None else 8.0) + 3.0 + rng.uniform(0, 1), 1)
            delay = timedelta(minutes=rng.randint(0, 3))
            if rng.random() < 0.01:
                delay = timedelta(hours=rng.randint(2, 6))
                truth.late += 1
            rows.append((vendor, device_id, measured, temp, measured + delay))
    for row in rng.sample(rows, k=len(rows) // 100):
        rows.append(row)
        truth.duplicates += 1
    rows.sort(key=lambda r: r[4])
    out = []
    for vendor, device_id, measured, temp, uploaded in rows:
        out.append((vendor, device_id, measured.isoformat(timespec="seconds"), str(temp),
                    uploaded.isoformat(timespec="seconds")))
    for _ in range(5):
        vendor = rng.choice(["A", "B"])
        device_id = next(d[1] for d in devices if d[0] == vendor)
        out.append((vendor, device_id, end.isoformat(timespec="seconds"), "N/A", end.isoformat(timespec="seconds")))
        out.append((vendor, device_id, "昨天下午", "4.5", end.isoformat(timespec="seconds")))
        truth.malformed += 2
    conn.executemany("insert into reading (vendor, device_id, measured, temp, uploaded) values (?, ?, ?, ?, ?)",
                     out)
    truth.readings = len(rows)
    conn.execute("insert into meta values ('truth', ?)", (json.dumps(truth.__dict__, default=str),))
    conn.commit()
    conn.close()
    return truth


def _utc(local_iso: str) -> str:
    try:
        value = datetime.fromisoformat(local_iso).replace(tzinfo=SHANGHAI)
    except ValueError:
        return local_iso
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _slash(local_iso: str) -> str:
    try:
        return datetime.fromisoformat(local_iso).strftime("%Y/%m/%d %H:%M:%S")
    except ValueError:
        return local_iso


def create_app(path: Path, token_a: str = "token-a", key_b: str = "key-b") -> FastAPI:
    app = FastAPI(title="simulated cold-chain vendors")
    conn = sqlite3.connect(str(path), check_same_thread=False)
    lock = threading.Lock()

    def rows(sql: str, params=()) -> list[tuple]:
        with lock:
            return conn.execute(sql, params).fetchall()

    @app.get("/vendor-a/api/devices")
    def devices_a(request: Request):
        if request.headers.get("authorization") != f"Bearer {token_a}":
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        return {"data": [{"sn": d, "org": u, "name": n, "kind": t, "low": lo, "high": hi}
                         for d, u, n, t, lo, hi in rows("select device_id, unit_id, name, type, min_c, max_c "
                                                        "from device where vendor = 'A' order by device_id")]}

    @app.get("/vendor-a/api/readings")
    def readings_a(request: Request, after: int = 0, limit: int = Query(1000, le=5000)):
        if request.headers.get("authorization") != f"Bearer {token_a}":
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        data = rows("select seq, device_id, measured, temp, uploaded from reading where vendor = 'A' and seq > ? "
                    "order by seq limit ?", (after, limit))
        out = []
        for seq, device_id, measured, temp, uploaded in data:
            try:
                value: object = float(temp)
            except ValueError:
                value = temp
            out.append({"seq": seq, "sn": device_id, "ts": _utc(measured), "temp": value, "recv": _utc(uploaded)})
        return {"data": out, "next": data[-1][0] if data else after}

    def _csv(header: list[str], body: list[tuple]) -> Response:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(body)
        return Response(buffer.getvalue().encode("gbk"), media_type="text/csv; charset=GBK")

    @app.get("/vendor-b/devices.csv")
    def devices_b(key: str = ""):
        if key != key_b:
            return Response("密钥错误".encode("gbk"), status_code=403)
        return _csv(["设备编号", "所属单位", "设备名称", "设备类型", "下限", "上限"],
                    [(d, u, n, "冷藏" if t == "refrigerator" else "冷冻", "" if lo is None else lo,
                      "" if hi is None else hi)
                     for d, u, n, t, lo, hi in rows("select device_id, unit_id, name, type, min_c, max_c "
                                                    "from device where vendor = 'B' order by device_id")])

    @app.get("/vendor-b/readings.csv")
    def readings_b(key: str = "", after: int = 0, limit: int = 2000):
        if key != key_b:
            return Response("密钥错误".encode("gbk"), status_code=403)
        data = rows("select seq, device_id, measured, temp, uploaded from reading where vendor = 'B' and seq > ? "
                    "order by seq limit ?", (after, limit))
        return _csv(["序号", "设备编号", "采集时间", "温度(℃)", "上报时间"],
                    [(seq, d, _slash(m), t, _slash(u)) for seq, d, m, t, u in data])

    @app.get("/_admin/truth")
    def truth():
        return json.loads(rows("select v from meta where k = 'truth'")[0][0])

    return app
