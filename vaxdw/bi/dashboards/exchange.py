"""数据交换: upload success rates to the national system (NIIS) and the collaborative platform, from the view
``exchange.reconciliation`` (vaxdw/exchange/schema.py; per target, category and day of first sending:
sent = accepted + rejected + in flight). It lives outside the dbt marts, like ``dq``; the Superset reader is
granted select on this one view only (vaxdw.bi.server.ensure_reader), never on the upload items (their
payloads hold personal data).

Province-wide totals with no region: readable only by roles with ``read_all_marts`` (as the dq totals).
业务人员上传 by region and unit comes from the mart ``rpt_staff_upload`` (one row per unit: current staff =
records due, and the status of each member's latest sent item, as of the mart's build), scoped by the unit's
region like every unit-region dataset; it has no vaccine, so vaccine-scoped accounts see none of it.
"""

from __future__ import annotations

from vaxdw.bi.dashboards.unit_regions import UNIT_REGION_SELECT, labels_with_regions, unit_join
from vaxdw.bi.specs import (
    UNIT_REGION_COLUMNS,
    Chart,
    Dashboard,
    Dataset,
    Metric,
    NativeFilter,
    ratio_of_sums,
    region_filters,
)

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

STAFF_UPLOAD = Dataset(
    name="staff_upload",
    schema="marts",
    description="业务人员上传 (每个单位一行: 人员数即应上传记录数, 最近一次发送的版本上传成功、失败、待反馈, 未上传), "
                "附单位所在地区",
    sql=f"""select
    s.unit_id,
    s.region_code,
    u.unit_name,
    {UNIT_REGION_SELECT},
    s.staff_total,
    s.uploaded,
    s.failed,
    s.in_flight,
    s.held_back,
    s.not_uploaded,
    s.items_sent,
    s.items_rejected,
    s.statuses_as_of
from marts.rpt_staff_upload as s
{unit_join("s.unit_id")}""",
    label_models=("rpt_staff_upload",),
    labels=labels_with_regions(unit_id="单位编码", unit_name="单位"),
    metrics=(
        Metric("staff_total", "sum(staff_total)", "人员数(应上传)", ",d"),
        Metric("staff_uploaded", "sum(uploaded)", "人员上传成功数", ",d"),
        Metric("staff_failed", "sum(failed)", "人员上传失败数", ",d"),
        Metric("staff_in_flight", "sum(in_flight)", "人员待反馈数", ",d"),
        Metric("staff_not_uploaded", "sum(not_uploaded)", "人员未上传数", ",d"),
        Metric("staff_held_back", "sum(held_back)", "人员暂缓上传数", ",d"),
        Metric("staff_upload_rate", ratio_of_sums("uploaded", "staff_total"), "人员上传率", ".1%"),
        Metric("staff_failure_rate", ratio_of_sums("failed", "uploaded", "failed"), "人员上传失败率", ".1%"),
    ),
    region_columns={**UNIT_REGION_COLUMNS, "region": "region_code"},
)

DATASETS = [UPLOADS, STAFF_UPLOAD]

DASHBOARD = Dashboard(
    slug="exchange",
    title="数据交换",
    description="向国家免疫规划信息系统、全国疫苗协同服务平台上传数据的对账:各类别发送、成功、失败、待反馈记录数,"
                "上传成功率与失败率及逐日趋势(全省合计,省级账号可见);业务人员上传:各地区、各单位上传成功数、"
                "上传率与失败率(按辖区)。",
    reports=("数据上传对账(上传成功率)", "业务人员上传统计"),
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
        (
            Chart("staff-uploaded", "人员上传成功数", "staff_upload", "big_number", ("staff_uploaded",), width=3),
            Chart("staff-upload-rate", "人员上传率", "staff_upload", "big_number", ("staff_upload_rate",), width=3,
                  description="上传成功人数 ÷ 现有人员数(应上传)"),
            Chart("staff-failure-rate", "人员上传失败率", "staff_upload", "big_number", ("staff_failure_rate",),
                  width=3, description="上传失败 ÷ (上传成功 + 上传失败)"),
            Chart("staff-not-uploaded", "人员未上传数", "staff_upload", "big_number", ("staff_not_uploaded",),
                  width=3),
        ),
        (
            Chart("staff-rate-by-city", "各市人员上传率", "staff_upload", "bar", ("staff_upload_rate",),
                  ("unit_city_name",), width=6),
            Chart("staff-by-county", "业务人员上传(各县区)", "staff_upload", "table",
                  ("staff_total", "staff_uploaded", "staff_failed", "staff_in_flight", "staff_not_uploaded",
                   "staff_upload_rate", "staff_failure_rate"),
                  ("unit_city_name", "unit_county_name"), width=6, height=60),
        ),
        (
            Chart("staff-by-unit", "业务人员上传(各单位)", "staff_upload", "table",
                  ("staff_total", "staff_uploaded", "staff_failed", "staff_in_flight", "staff_not_uploaded",
                   "staff_held_back", "staff_upload_rate", "staff_failure_rate"),
                  ("unit_city_name", "unit_county_name", "unit_name", "unit_id"), width=12, height=60),
        ),
    ),
    filters=(
        *region_filters("staff_upload", prefix="exchange-region"),
        NativeFilter("date", "发送日期", "time"),
        NativeFilter("target", "上传目标", "select", "exchange_reconciliation", "target_name"),
        NativeFilter("category", "数据类别", "select", "exchange_reconciliation", "category_name"),
    ),
)
