"""The collaborative platform's side of the push: generates basic-information subsets and purchase-inbound
documents and pushes them to our receiver, with faults (docs/exchange.md §7).

Deterministic for a seed. Faults: the same message pushed again (duplicate), messages delivered in shuffled
order with item versions that go backwards in arrival order (out of order), bodies that are not UTF-8
(GBK), not JSON, or oversized, items with missing fields or unknown codes. ``expected`` tells the tests
what the warehouse must end up with.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx

from vaxdw.exchange.signing import sign_headers
from vaxdw.simulator.code_tables import VACCINES


@dataclass
class Push:
    message_id: str
    push_type: str
    body: bytes
    note: str = "ok"


@dataclass
class PushPlan:
    pushes: list[Push]
    # what must be current after loading: item_type -> key -> (version, data)
    expected: dict[str, dict[str, tuple[int, dict]]] = field(default_factory=dict)
    expected_rejected_items: int = 0
    expected_malformed: int = 0
    expected_duplicates: int = 0


def _encode(message: dict) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode("utf-8")


def build_plan(seed: int = 1, products: int = 12, docs: int = 20, unit_ids: tuple[str, ...] = ("610000000000",),
               faults: bool = True) -> PushPlan:
    rng = random.Random(seed)
    expected: dict[str, dict[str, tuple[int, dict]]] = {}
    version = 0
    items_by_type: dict[str, list[dict]] = {}

    def add(item_type: str, key: str, data: dict) -> None:
        nonlocal version
        version += 1
        items_by_type.setdefault(item_type, []).append({"item_type": item_type, "version": version, "data": data})
        expected.setdefault(item_type, {})[key] = (version, data)

    vaccines = [v for v in VACCINES if v.code[:2] != "39"]
    for m in range(1, 5):
        add("manufacturer", f"M{m:02d}", {"manufacturer_code": f"M{m:02d}", "manufacturer_name": f"疫苗企业{m}"})
    batches = []
    for p in range(1, products + 1):
        vaccine = vaccines[p % len(vaccines)]
        code, mcode = f"P{p:04d}", f"M{p % 4 + 1:02d}"
        add("product", code, {"product_code": code, "vaccine_code": vaccine.code, "product_name": vaccine.name,
                              "manufacturer_code": mcode, "is_nip": vaccine.is_nip})
        add("specification", f"S{p:04d}", {"spec_code": f"S{p:04d}", "product_code": code, "dose_ml": 0.5,
                                           "doses_per_unit": rng.choice([1, 1, 2]), "package_unit": "支"})
        for b in range(2):
            batch_no = f"{2025 + b}{p:04d}{rng.randint(10, 99)}"
            data = {"product_code": code, "batch_no": batch_no, "manufacturer_code": mcode,
                    "expiry_date": str(date(2027, 1, 1) + timedelta(days=rng.randint(0, 700))),
                    "lot_release_no": f"SP{rng.randint(100000, 999999)}"}
            add("batch", f"{code}|{batch_no}", data)
            batches.append(data)
    # a later correction of some products (renamed): the newer version must win even if it arrives first
    for p in rng.sample(range(1, products + 1), k=max(1, products // 4)):
        _, old = expected["product"][f"P{p:04d}"]
        add("product", f"P{p:04d}", {**old, "product_name": old["product_name"] + "（更正）"})
    for d in range(1, docs + 1):
        lines = [{"product_code": b["product_code"], "batch_no": b["batch_no"], "quantity": rng.randint(10, 500)}
                 for b in rng.sample(batches, k=rng.randint(1, 3))]
        add("purchase_inbound", f"RK{d:06d}", {"doc_no": f"RK{d:06d}", "unit_id": rng.choice(unit_ids),
                                               "supplier_code": f"M{rng.randint(1, 4):02d}",
                                               "doc_date": str(date(2026, 1, 1) + timedelta(days=d)),
                                               "lines": lines})

    pushes: list[Push] = []
    n = 0
    for item_type, items in items_by_type.items():
        push_type = "purchase_inbound" if item_type == "purchase_inbound" else "basic_info"
        for start in range(0, len(items), 7):
            n += 1
            chunk = items[start:start + 7]
            message = {"message_id": f"MSG{n:05d}", "push_type": push_type, "items": chunk}
            pushes.append(Push(message["message_id"], push_type, _encode(message)))
    plan = PushPlan(pushes, expected)
    if not faults:
        return plan
    # out of order: deliver messages shuffled (newer versions may arrive before older ones)
    rng.shuffle(plan.pushes)
    # duplicates: re-send some messages later, byte for byte
    for push in rng.sample(plan.pushes, k=max(1, len(plan.pushes) // 5)):
        plan.pushes.insert(rng.randint(0, len(plan.pushes)), Push(push.message_id, push.push_type, push.body,
                                                                  "duplicate"))
        plan.expected_duplicates += 1
    # bad items mixed into good messages: each rejected on its own
    bad_items = [
        {"item_type": "product", "version": 10**6, "data": {"product_code": "PX001", "vaccine_code": "8801",
                                                           "product_name": "未知疫苗", "manufacturer_code": "M01"}},
        {"item_type": "batch", "version": 10**6 + 1, "data": {"product_code": "P0001", "batch_no": "X1"}},
        {"item_type": "specification", "version": 10**6 + 2,
         "data": {"spec_code": "SX", "product_code": "P0001", "doses_per_unit": "两"}},
        {"item_type": "batch", "version": 10**6 + 3, "data": {"product_code": "P0001", "batch_no": "X2",
                                                             "manufacturer_code": "M01", "expiry_date": "2027-13-45"}},
        {"item_type": "product", "version": 10**6 + 4, "data": {"product_code": "PBIG", "vaccine_code": "0101",
                                                               "product_name": "长" * 40000,
                                                               "manufacturer_code": "M01"}},
        {"item_type": "lottery", "version": 1, "data": {}},
        {"item_type": "batch", "data": {"product_code": "P0001", "batch_no": "X3", "manufacturer_code": "M01",
                                        "expiry_date": "2027-01-01"}},
    ]
    for i, bad in enumerate(bad_items):
        good = {"item_type": "manufacturer", "version": 2 * 10**6 + i,
                "data": {"manufacturer_code": f"MB{i}", "manufacturer_name": f"混合批次企业{i}"}}
        expected.setdefault("manufacturer", {})[f"MB{i}"] = (good["version"], good["data"])
        message = {"message_id": f"MIX{i:03d}", "push_type": "basic_info", "items": [good, bad]}
        plan.pushes.append(Push(message["message_id"], "basic_info", _encode(message), "bad item"))
        plan.expected_rejected_items += 1
    # malformed bodies: kept with a reason, nothing loaded
    gbk = json.dumps({"message_id": "BADGBK", "push_type": "basic_info", "items": [
        {"item_type": "manufacturer", "version": 1, "data": {"manufacturer_code": "MG", "manufacturer_name": "企业"}}
    ]}, ensure_ascii=False).encode("gbk")
    plan.pushes += [
        Push("BADGBK", "basic_info", gbk, "not utf-8"),
        Push("BADJSON", "basic_info", b'{"message_id": "BADJSON", "items": [', "not json"),
        Push("BADSHAPE", "basic_info", _encode({"message_id": "BADSHAPE", "push_type": "basic_info"}), "no items"),
        Push("BADSIZE", "basic_info", _encode({"message_id": "BADSIZE", "push_type": "basic_info",
                                               "items": [], "pad": "x" * (5 * 1024 * 1024 + 1)}), "oversized"),
    ]
    plan.expected_malformed = 4
    return plan


def push_all(receiver_url: str, app_id: str, secret: str, plan: PushPlan, timeout: float = 30) -> list[dict]:
    answers = []
    with httpx.Client(base_url=receiver_url, timeout=timeout) as client:
        for push in plan.pushes:
            path = f"/api/v1/push/{push.push_type}"
            headers = sign_headers(app_id, secret, "POST", path, push.body)
            headers.update({"Content-Type": "application/json", "X-Message-Id": push.message_id})
            response = client.post(path, content=push.body, headers=headers)
            answers.append({"message_id": push.message_id, "note": push.note, "http_status": response.status_code,
                            "answer": response.json()})
    return answers
