"""A remote upload interface (national system, or the collaborative platform's circulation upload).

Implements docs/exchange.md §3 as the remote would: HMAC auth, batch and body limits, per-record
validation with the documented error codes, an idempotency store (a key seen before gets the stored answer
again), create/update/version rules. State lives in a SQLite file, so the server can be stopped and started
again without forgetting what it accepted.

Faults (``POST /_admin/faults``, JSON of :class:`Faults`) are drawn from a seeded RNG per request:
timeouts before processing, lost responses (processed and committed, then a 504 or a timeout), 5xx,
a 200 whose body is not JSON, partial answers (results for only part of the batch), duplicate delivery
(the request processed twice, as a retrying proxy would), records processed out of order, and injected
business rejections (E190) of otherwise valid records. ``script`` lists faults to use first, in order.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from vaxdw.exchange.config import REMOTE_BATCH_LIMIT, REMOTE_BODY_LIMIT_BYTES
from vaxdw.exchange.signing import verify
from vaxdw.idcard import check_digit
from vaxdw.simulator.code_tables import VACCINE_BY_CODE

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # one encoder, not one per record

FAULT_KINDS = ("ok", "timeout", "lost", "error", "garbage", "partial", "duplicate")


@dataclass
class Faults:
    seed: int = 0
    timeout_rate: float = 0.0
    lost_response_rate: float = 0.0
    error_rate: float = 0.0
    garbage_rate: float = 0.0
    partial_rate: float = 0.0
    duplicate_delivery_rate: float = 0.0
    reject_rate: float = 0.0
    reorder: bool = False
    sleep_seconds: float = 0.3  # how long a "timeout" stalls: set above the client's timeout
    script: list[str] = field(default_factory=list)


ERRORS = {
    "E100": "报文记录结构错误",
    "E101": "必填字段缺失",
    "E102": "代码值不在代码表中",
    "E103": "字段格式错误",
    "E105": "记录已存在，新增请求被拒绝",
    "E106": "记录不存在，无法更新",
    "E107": "版本号不大于已接收版本",
    "E108": "字段超长",
    "E190": "业务规则校验未通过（模拟）",
}

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def _id_ok(value: str) -> bool:
    return bool(re.fullmatch(r"\d{17}[\dX]", value)) and check_digit(value[:17]) == value[17]


def _required(data: dict, names: tuple[str, ...]) -> str | None:
    missing = [n for n in names if data.get(n) in (None, "")]
    return f"E101:{ERRORS['E101']}：{', '.join(missing)}" if missing else None


def _datetime_ok(value) -> bool:
    if not isinstance(value, str) or not _DATETIME.match(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def validate_recipient(data: dict) -> str | None:
    if err := _required(data, ("recipient_id", "name", "sex", "birth_time", "managing_unit", "register_status")):
        return err
    if data["sex"] not in ("1", "2"):
        return f"E102:{ERRORS['E102']}：性别 sex={data['sex']}"
    if data["register_status"] not in (1, 2, 3, 4, 5, 9):
        return f"E102:{ERRORS['E102']}：在册情况 register_status={data['register_status']}"
    if not _datetime_ok(data["birth_time"]):
        return f"E103:{ERRORS['E103']}：出生时间 birth_time"
    if data.get("id_number") and not _id_ok(data["id_number"]):
        return f"E103:{ERRORS['E103']}：身份证号校验位错误"
    if len(str(data["name"])) > 25:
        return f"E108:{ERRORS['E108']}：姓名超过25个字符"
    return None


def validate_vaccination(data: dict) -> str | None:
    if err := _required(data, ("vaccination_id", "recipient_id", "vaccine_code", "vaccinated_at", "unit_id")):
        return err
    if data["vaccine_code"] not in VACCINE_BY_CODE:
        return f"E102:{ERRORS['E102']}：疫苗编码 vaccine_code={data['vaccine_code']}"
    if not _datetime_ok(data["vaccinated_at"]):
        return f"E103:{ERRORS['E103']}：接种时间 vaccinated_at"
    if not data.get("is_deleted") and (err := _required(data, ("batch_no", "manufacturer_code"))):
        return err
    return None


def validate_staff(data: dict) -> str | None:
    if err := _required(data, ("staff_id", "unit_id", "name", "role")):
        return err
    if data["role"] not in ("vaccinator", "registrar"):
        return f"E102:{ERRORS['E102']}：岗位 role={data['role']}"
    if data.get("id_number") and not _id_ok(data["id_number"]):
        return f"E103:{ERRORS['E103']}：身份证号校验位错误"
    return None


def validate_circulation(data: dict) -> str | None:
    if err := _required(data, ("event_type", "unit_id", "event_date", "vaccine_code", "quantity_doses")):
        return err
    if data["event_type"] not in ("OUT_USE", "IN_RECEIPT", "OUT_SCRAP", "OUT_RETURN", "OUT_TRANSFER"):
        return f"E102:{ERRORS['E102']}：事件类型 event_type={data['event_type']}"
    if not data.get("batch_no"):
        return f"E101:{ERRORS['E101']}：batch_no"
    return None


def validate_any(data: dict) -> str | None:
    return None if data else f"E101:{ERRORS['E101']}：data"


NIIS_VALIDATORS = {
    "recipient": validate_recipient,
    "vaccination": validate_vaccination,
    "staff": validate_staff,
    "stock_document": validate_any,
    "coldchain_equipment": validate_any,
}
COLLAB_VALIDATORS = {"circulation": validate_circulation}

SCHEMA = """
create table if not exists record (
    category text not null, record_id text not null, version integer not null, idempotency_key text not null,
    data text not null, create_count integer not null, update_count integer not null default 0,
    first_received_at text not null, updated_at text not null, primary key (category, record_id));
create table if not exists idem (
    idempotency_key text primary key, category text not null, record_id text, status text not null,
    code text, message text, processed_at text not null);
create table if not exists request_log (
    request_no integer primary key autoincrement, batch_id text, category text, records integer,
    fault text not null, http_status integer, at text not null);
create table if not exists duplicate_create (
    category text not null, record_id text not null, idempotency_key text not null, at text not null);
"""


def _in_chunks(values: list, size: int = 900):
    for start in range(0, len(values), size):
        yield values[start:start + size]


class _BatchView:
    """What the store knows about one batch's keys and records, read up front; the batch's writes, kept for
    ``flush`` (same transaction)."""

    def __init__(self, conn: sqlite3.Connection, category: str, records: list):
        keys = list({r["idempotency_key"] for r in records
                     if isinstance(r, dict) and isinstance(r.get("idempotency_key"), str)})
        ids = list({r["record_id"] for r in records if isinstance(r, dict) and isinstance(r.get("record_id"), str)})
        self.idem: dict[str, tuple] = {}
        for chunk in _in_chunks(keys):
            marks = ",".join("?" * len(chunk))
            for key, *answer in conn.execute("select idempotency_key, record_id, status, code, message from idem "
                                             f"where idempotency_key in ({marks})", chunk):
                self.idem[key] = tuple(answer)
        self.versions: dict[str, int] = {}
        for chunk in _in_chunks(ids):
            marks = ",".join("?" * len(chunk))
            self.versions.update(conn.execute(f"select record_id, version from record where category = ? "
                                              f"and record_id in ({marks})", [category, *chunk]).fetchall())
        self.creates: list[tuple] = []
        self.updates: list[tuple] = []
        self.new_idem: list[tuple] = []
        self.duplicate_creates: list[tuple] = []

    def flush(self, conn: sqlite3.Connection, category: str, now: str) -> None:
        conn.executemany("insert into record values (?, ?, ?, ?, ?, 1, 0, ?, ?)", self.creates)
        conn.executemany("update record set version = ?, idempotency_key = ?, data = ?, "
                         "update_count = update_count + 1, updated_at = ? where category = ? and record_id = ?",
                         self.updates)
        conn.executemany("insert into idem values (?, ?, ?, ?, ?, ?, ?)", self.new_idem)
        conn.executemany("insert into duplicate_create values (?, ?, ?, ?)", self.duplicate_creates)


class UploadStore:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.conn.execute("pragma journal_mode=wal")
        self.conn.execute("pragma synchronous=normal")  # WAL: survives a crash of the server process
        self.conn.executescript(SCHEMA)
        self.lock = threading.Lock()

    def process(self, category: str, records: list, validator, faults: Faults, rng: random.Random) -> list[dict]:
        """Process a batch in one SQLite transaction, record by record in (possibly shuffled) order.

        The batch's idempotency keys and records are read with one query each and the writes go out with
        ``executemany``; the per-record decisions run on an in-memory view that each record updates, so two
        records of one batch see each other exactly as one-at-a-time processing would."""
        now = datetime.now().isoformat(timespec="seconds")
        order = list(range(len(records)))
        if faults.reorder:
            rng.shuffle(order)
        results: dict[int, dict] = {}
        with self.lock:
            self.conn.execute("begin immediate")
            try:
                view = _BatchView(self.conn, category, records)
                for i in order:
                    results[i] = self._one(category, records[i], validator, faults, now, view)
                view.flush(self.conn, category, now)
                self.conn.execute("commit")
            except BaseException:
                self.conn.execute("rollback")
                raise
        return [results[i] for i in range(len(records))]

    def _one(self, category: str, rec, validator, faults: Faults, now: str, view: _BatchView) -> dict:
        if not isinstance(rec, dict) or not all(isinstance(rec.get(k), str) and rec.get(k)
                                                for k in ("record_id", "idempotency_key", "op")) \
                or not isinstance(rec.get("data"), dict) or not isinstance(rec.get("version"), int):
            key = rec.get("idempotency_key") if isinstance(rec, dict) else None
            return {"idempotency_key": key, "status": "rejected", "code": "E100", "message": ERRORS["E100"]}
        key, record_id, op = rec["idempotency_key"], rec["record_id"], rec["op"]
        seen = view.idem.get(key)
        if seen:
            return {"idempotency_key": key, "record_id": seen[0], "status": seen[1], "code": seen[2],
                    "message": seen[3], "replayed": True}
        error = validator(rec["data"])
        if error is None and faults.reject_rate and random.Random(key).random() < faults.reject_rate:
            error = f"E190:{ERRORS['E190']}"
        existing = view.versions.get(record_id)
        if error is None and op == "create" and existing is not None:
            view.duplicate_creates.append((category, record_id, key, now))
            error = f"E105:{ERRORS['E105']}"
        elif error is None and op == "update" and existing is None:
            error = f"E106:{ERRORS['E106']}"
        elif error is None and op == "update" and existing >= rec["version"]:
            error = f"E107:{ERRORS['E107']}（已接收 {existing}）"
        elif error is None and op not in ("create", "update"):
            error = f"E100:{ERRORS['E100']}：op={op}"
        if error is None:
            data = _ENCODER.encode(rec["data"])
            if op == "create":
                view.creates.append((category, record_id, rec["version"], key, data, now, now))
            else:
                view.updates.append((rec["version"], key, data, now, category, record_id))
            view.versions[record_id] = rec["version"]
            status, code, message = "accepted", None, None
        else:
            code, _, message = error.partition(":")
            status = "rejected"
        view.idem[key] = (record_id, status, code, message)
        view.new_idem.append((key, category, record_id, status, code, message, now))
        return {"idempotency_key": key, "record_id": record_id, "status": status, "code": code, "message": message}

    def log(self, batch_id, category, records, fault, http_status) -> None:
        with self.lock:
            self.conn.execute("insert into request_log (batch_id, category, records, fault, http_status, at) "
                              "values (?, ?, ?, ?, ?, ?)",
                              (batch_id, category, records, fault, http_status,
                               datetime.now().isoformat(timespec="seconds")))

    def query(self, sql: str, params=()) -> list[dict]:
        with self.lock:
            cur = self.conn.execute(sql, params)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def create_app(store_path: Path, secrets: dict[str, str], validators: dict, title: str = "upload") -> FastAPI:
    app = FastAPI(title=f"simulated {title}")
    store = UploadStore(store_path)
    state = {"faults": Faults(), "rng": random.Random(0)}
    app.state.store = store

    def draw_fault() -> str:
        faults: Faults = state["faults"]
        if faults.script:
            return faults.script.pop(0)
        rng: random.Random = state["rng"]
        for kind, rate in (("timeout", faults.timeout_rate), ("lost", faults.lost_response_rate),
                           ("error", faults.error_rate), ("garbage", faults.garbage_rate),
                           ("partial", faults.partial_rate), ("duplicate", faults.duplicate_delivery_rate)):
            if rate and rng.random() < rate:
                return kind
        return "ok"

    @app.post("/_admin/faults")
    async def set_faults(request: Request):
        faults = Faults(**(await request.json()))
        state["faults"], state["rng"] = faults, random.Random(faults.seed)
        return asdict(faults)

    @app.get("/_admin/records/{category}")
    def records(category: str):
        return store.query("select * from record where category = ? order by record_id", (category,))

    @app.get("/_admin/idem/{category}")
    def idem(category: str):
        return store.query("select * from idem where category = ? order by idempotency_key", (category,))

    @app.get("/_admin/stats")
    def stats():
        return {
            "requests": store.query("select fault, count(*) as n from request_log group by fault"),
            "records": store.query("select category, count(*) as n, sum(create_count) as creates, "
                                   "sum(update_count) as updates from record group by category"),
            "idempotency_keys": store.query("select category, status, count(*) as n from idem "
                                            "group by category, status"),
            "duplicate_creates": store.query("select count(*) as n from duplicate_create")[0]["n"],
        }

    @app.post("/api/v1/upload/{category}")
    async def upload(category: str, request: Request):
        body = await request.body()
        reason = verify(secrets, request.headers, "POST", request.url.path, body)
        if reason:
            return JSONResponse({"code": "E401", "message": f"鉴权失败：{reason}"}, status_code=401)
        if category not in validators:
            return JSONResponse({"code": "E404", "message": f"未知的上传类别：{category}"}, status_code=404)
        if len(body) > REMOTE_BODY_LIMIT_BYTES:
            return JSONResponse({"code": "E413", "message": f"报文超过{REMOTE_BODY_LIMIT_BYTES // (1024 * 1024)}MB"}, status_code=413)
        try:
            message = json.loads(body.decode("utf-8"))
            records_in = message["records"]
            batch_id = message["batch_id"]
            assert isinstance(records_in, list) and isinstance(batch_id, str)
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, AssertionError):
            return JSONResponse({"code": "E400", "message": "报文不是约定的JSON结构"}, status_code=400)
        if len(records_in) > REMOTE_BATCH_LIMIT:
            return JSONResponse({"code": "E414", "message": f"单批记录数超过{REMOTE_BATCH_LIMIT}"},
                                status_code=413)
        fault = draw_fault()
        faults: Faults = state["faults"]
        if fault == "timeout":
            await anyio.sleep(faults.sleep_seconds)
            store.log(batch_id, category, len(records_in), fault, 504)
            return JSONResponse({"code": "E504", "message": "超时"}, status_code=504)
        if fault == "error":
            store.log(batch_id, category, len(records_in), fault, 503)
            return JSONResponse({"code": "E503", "message": "服务暂不可用"}, status_code=503)
        if fault == "garbage":
            store.log(batch_id, category, len(records_in), fault, 200)
            return Response(b"<html>gateway error</html>", status_code=200, media_type="text/html")
        results = await anyio.to_thread.run_sync(
            store.process, category, records_in, validators[category], faults, state["rng"])
        if fault == "duplicate":  # a proxy delivered the request twice: the second pass must change nothing
            results = await anyio.to_thread.run_sync(
                store.process, category, records_in, validators[category], faults, state["rng"])
        if fault == "lost":
            store.log(batch_id, category, len(records_in), fault, 504)
            if state["rng"].random() < 0.5:
                await anyio.sleep(faults.sleep_seconds)
            return JSONResponse({"code": "E504", "message": "网关超时"}, status_code=504)
        if fault == "partial":
            results = results[: len(results) // 2]
        store.log(batch_id, category, len(records_in), fault, 200)
        # plain JSON types already: JSONResponse skips FastAPI's per-value jsonable_encoder walk
        return JSONResponse({"batch_id": batch_id, "received_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                             "results": results})

    return app
