"""数据交换: upload success rates to the national system (NIIS) and the collaborative platform, from the view
``exchange.reconciliation`` (vaxdw/exchange/schema.py; per target, category and day of first sending:
sent = accepted + rejected + in flight). It lives outside the dbt marts, like ``dq``; the Superset reader is
granted select on this one view only (vaxdw.bi.server.ensure_reader), never on the upload items (their
payloads hold personal data).

Province-wide totals with no region: readable only by roles with ``read_all_marts`` (as the dq totals).
Region-level upload rates (业务人员上传统计表) need staging.stg_ops__staff and are not shown here (no mart).
"""

from __future__ import annotations

from vaxdw.bi.specs import Chart, Dashboard, Dataset, Metric, NativeFilter, ratio_of_sums

TARGET_NAMES = {"niis": "国家免疫规划信息系统", "collab": "全国疫苗协同服务平台"}
CATEGORY_NAMES = {
    "recipient": "受种者档案", "vaccination": "全量接种记录", "staff": "业务人员信息",
    "stock_document": "疫苗出入库单据", "coldchain_equipment": "冷链设备信息", "circulation": "疫苗流通信息",
}


def _case(column: str, names: dict[str, str]) -> str:
    whens = " ".join(f"when '{code}' then '{name}'" for code, name in names.items())
    return f"case {column} {whens} else {column} end"


UPLOADS = Dataset(
    name="exchange_reconciliation",
    schema="exchange",
    description="数据上传对账 (上传目标 × 数据类别 × 首次发送日期: 发送、成功、失败、待反馈), 全省合计",
    sql=f"""select
    target,
    {_case("target", TARGET_NAMES)} as target_name,
    category,
    {_case("category", CATEGORY_NAMES)} as category_name,
    sent_date,
    sent,
    accepted,
    rejected,
    in_flight,
    status_mismatches
from exchange.reconciliation""",
    labels={
        "target": "上传目标代码", "target_name": "上传目标", "category": "数据类别代码", "category_name": "数据类别",
        "sent_date": "发送日期", "sent": "发送记录数", "accepted": "上传成功数", "rejected": "上传失败数",
        "in_flight": "待反馈数", "status_mismatches": "状态不一致数",
    },
    metrics=(
        Metric("sent", "sum(sent)", "发送记录数", ",d"),
        Metric("accepted", "sum(accepted)", "上传成功数", ",d"),
        Metric("rejected", "sum(rejected)", "上传失败数", ",d"),
        Metric("in_flight", "sum(in_flight)", "待反馈数", ",d"),
        Metric("success_rate", ratio_of_sums("accepted", "sent"), "上传成功率", ".1%"),
        Metric("failure_rate", ratio_of_sums("rejected", "accepted", "rejected"),
               "上传失败率", ".1%"),
        Metric("status_mismatches", "sum(status_mismatches)", "状态不一致数", ",d"),
    ),
    time_column="sent_date",
)

DATASETS = [UPLOADS]

DASHBOARD = Dashboard(
    slug="exchange",
    title="数据交换",
    description="向国家免疫规划信息系统、全国疫苗协同服务平台上传数据的对账:各类别发送、成功、失败、待反馈记录数,"
                "上传成功率与失败率及逐日趋势(全省合计,省级账号可见)。",
    reports=("数据上传对账(上传成功率)",),
    order=80,
    rows=(
        (
            Chart("sent", "发送记录数", "exchange_reconciliation", "big_number", ("sent",), width=3),
            Chart("success-rate", "上传成功率", "exchange_reconciliation", "big_number", ("success_rate",), width=3),
            Chart("failure-rate", "上传失败率", "exchange_reconciliation", "big_number", ("failure_rate",), width=3),
            Chart("in-flight", "待反馈数", "exchange_reconciliation", "big_number", ("in_flight",), width=3),
        ),
        (
            Chart("by-category", "各数据类别上传成功率", "exchange_reconciliation", "bar", ("success_rate",),
                  ("category_name", "target_name"), width=6),
            Chart("by-day", "逐日上传成功与失败", "exchange_reconciliation", "line", ("accepted", "rejected"),
                  ("sent_date",), time_grain="P1D", width=6),
        ),
        (
            Chart("reconciliation", "数据上传对账", "exchange_reconciliation", "table",
                  ("sent", "accepted", "rejected", "in_flight", "success_rate", "failure_rate", "status_mismatches"),
                  ("target_name", "category_name"), width=12, height=60),
        ),
    ),
    filters=(
        NativeFilter("date", "发送日期", "time"),
        NativeFilter("target", "上传目标", "select", "exchange_reconciliation", "target_name"),
        NativeFilter("category", "数据类别", "select", "exchange_reconciliation", "category_name"),
    ),
)
