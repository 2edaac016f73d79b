"""Validation of the collaborative platform's pushes (docs/exchange.md §5): item types, required fields,
codes, sizes. Returns ``(code, reason_zh)`` for a rejected item, None for a valid one."""

from __future__ import annotations

import json
from datetime import date

from vaxdw.simulator.code_tables import VACCINE_BY_CODE

PUSH_TYPES = {"purchase_inbound": ("purchase_inbound",),
              "basic_info": ("manufacturer", "product", "specification", "batch")}
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_ITEMS = 1000
MAX_ITEM_BYTES = 64 * 1024

KEYS = {
    "manufacturer": ("manufacturer_code",),
    "product": ("product_code",),
    "specification": ("spec_code",),
    "batch": ("product_code", "batch_no"),
    "purchase_inbound": ("doc_no",),
}
REQUIRED = {
    "manufacturer": ("manufacturer_code", "manufacturer_name"),
    "product": ("product_code", "vaccine_code", "product_name", "manufacturer_code"),
    "specification": ("spec_code", "product_code", "doses_per_unit"),
    "batch": ("product_code", "batch_no", "manufacturer_code", "expiry_date"),
    "purchase_inbound": ("doc_no", "unit_id", "doc_date", "lines"),
}
LINE_REQUIRED = ("product_code", "batch_no", "quantity")


def item_key(item_type: str, data: dict) -> str:
    return "|".join(str(data.get(k, "")) for k in KEYS[item_type])


def _is_date(value) -> bool:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def validate_item(push_type: str, item) -> tuple[str, str] | None:
    if not isinstance(item, dict):
        return "P100", "条目不是JSON对象"
    item_type, data, version = item.get("item_type"), item.get("data"), item.get("version")
    if item_type not in PUSH_TYPES.get(push_type, ()):
        return "P101", f"条目类型无效：{item_type!r}（推送类型 {push_type} 允许 {', '.join(PUSH_TYPES[push_type])}）"
    if not isinstance(data, dict):
        return "P100", "条目缺少 data 对象"
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        return "P102", "条目缺少有效的版本号 version（非负整数）"
    if len(json.dumps(item, ensure_ascii=False).encode("utf-8")) > MAX_ITEM_BYTES:
        return "P108", f"条目超过 {MAX_ITEM_BYTES // 1024}KB"
    missing = [name for name in REQUIRED[item_type] if data.get(name) in (None, "", [])]
    if missing:
        return "P103", "必填字段缺失：" + ", ".join(missing)
    if item_type == "product" and data["vaccine_code"] not in VACCINE_BY_CODE:
        return "P104", f"疫苗编码不在代码表中：{data['vaccine_code']}"
    if item_type == "specification" and not (isinstance(data["doses_per_unit"], int) and data["doses_per_unit"] > 0):
        return "P105", f"每支人份数无效：{data['doses_per_unit']!r}"
    if item_type == "batch" and not _is_date(data["expiry_date"]):
        return "P106", f"有效期不是日期：{data['expiry_date']!r}"
    if item_type == "purchase_inbound":
        if not _is_date(data["doc_date"]):
            return "P106", f"单据日期不是日期：{data['doc_date']!r}"
        if not isinstance(data["lines"], list):
            return "P100", "lines 不是数组"
        for n, line in enumerate(data["lines"], start=1):
            if not isinstance(line, dict):
                return "P100", f"第{n}行不是JSON对象"
            missing = [name for name in LINE_REQUIRED if line.get(name) in (None, "")]
            if missing:
                return "P103", f"第{n}行必填字段缺失：" + ", ".join(missing)
            if not (isinstance(line["quantity"], int) and line["quantity"] > 0):
                return "P105", f"第{n}行数量无效：{line['quantity']!r}"
    return None


def parse_push(body: bytes) -> tuple[dict | None, str | None]:
    """The message, or the reason it cannot be read at all (a malformed push)."""
    if len(body) > MAX_BODY_BYTES:
        return None, f"报文超过 {MAX_BODY_BYTES // 1024 // 1024}MB"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"报文不是UTF-8编码（第{exc.start}字节）"
    try:
        message = json.loads(text)
    except ValueError as exc:
        return None, f"报文不是有效的JSON：{exc.msg}（第{exc.lineno}行第{exc.colno}列）"
    if not isinstance(message, dict) or not isinstance(message.get("items"), list):
        return None, "报文缺少 items 数组"
    if message.get("push_type") not in PUSH_TYPES:
        return None, f"推送类型无效：{message.get('push_type')!r}"
    if len(message["items"]) > MAX_ITEMS:
        return None, f"单次推送条目数超过 {MAX_ITEMS}"
    return message, None
