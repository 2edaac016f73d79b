"""Injected faults: configurable rates and the ground-truth manifest ``sim.injected_fault``.

Every fault the simulator injects is recorded with the table, row key and column it affects,
so quality checks can be scored against the truth. Rates are probabilities per row of the
table the fault lives in (per child, or per dose).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from vaxdw.simulator.copy_writer import CopyWriter

MANIFEST_SCHEMA = "sim"
MANIFEST_TABLE = "injected_fault"
MANIFEST_COLUMNS = ("fault_id", "fault_type", "table_name", "row_key", "column_name", "detail")
MANIFEST_DDL = f"""
create table {MANIFEST_SCHEMA}.{MANIFEST_TABLE} (
    fault_id bigint primary key,
    fault_type text not null,
    table_name text not null,
    row_key text not null,
    column_name text,
    detail text
);
"""


@dataclass(frozen=True)
class FaultType:
    name: str
    table: str
    column: str
    per: str  # what the rate is a probability of: "child", "dose", "birth dose"
    default_rate: float
    description: str


FAULT_TYPES: dict[str, FaultType] = {
    fault.name: fault
    for fault in (
        FaultType("bad_id_check_digit", "recipient", "id_number", "child", 0.004,
                  "身份证号校验位错误 (check character altered)"),
        FaultType("id_birth_date_mismatch", "recipient", "id_number", "child", 0.003,
                  "身份证号中的出生日期与出生时间不符 (valid number, other birth date)"),
        FaultType("id_sex_mismatch", "recipient", "id_number", "child", 0.003,
                  "身份证号性别位与性别不符 (valid number, other sex)"),
        FaultType("duplicate_recipient", "recipient", "recipient_id", "child", 0.005,
                  "重复档案: a second record of the same child (same name + birth date + mother's name; same ID "
                  "number or none); the manifest row is the duplicate, detail names the original"),
        FaultType("missing_hbsag", "recipient", "mother_hbsag", "child", 0.005, "母亲HBsAg为空 (null)"),
        FaultType("unparseable_birth_weight", "recipient", "birth_weight", "child", 0.003,
                  "出生体重无法解析为整数克 (e.g. '3.2kg', 'abc')"),
        FaultType("dose_before_birth", "vaccination", "vaccinated_at", "birth dose", 0.003,
                  "出生剂次 (HepB1/BCG) 接种时间早于出生时间"),
        FaultType("entry_before_vaccination", "vaccination", "entered_at", "dose", 0.002,
                  "录入时间早于接种时间"),
        FaultType("unknown_vaccine_code", "vaccination", "vaccine_code", "dose", 0.001,
                  "疫苗编码不在疫苗字典中"),
        FaultType("unparseable_expiry_date", "vaccination", "expiry_date", "dose", 0.001,
                  "有效期无法解析为日期 (e.g. '2024-02-30', '20240230x')"),
        # Injected after the streams by vaxdw.simulator.quality_faults (SQL over the written rows).
        FaultType("bad_id_address", "recipient", "id_number", "child", 0.002,
                  "身份证号地址码不是本省区划代码 (valid check character)"),
        FaultType("untrimmed_name", "recipient", "recipient_name", "child", 0.003,
                  "姓名首尾或中间有多余空格"),
        FaultType("duplicate_staff_id", "staff", "id_number", "staff", 0.002,
                  "人员身份证号与更早登记的另一人员相同"),
        FaultType("wrong_dose_no", "vaccination", "dose_no", "dose", 0.002,
                  "剂次与同一疫苗大类上一剂相同 (not increasing)"),
        FaultType("missing_batch_no", "vaccination", "batch_no", "dose", 0.001, "疫苗批号为空"),
        FaultType("unknown_site_code", "vaccination", "site_code", "dose", 0.001, "接种部位编码不在代码表中"),
        FaultType("expired_vaccine", "vaccination", "expiry_date", "dose", 0.001,
                  "有效期早于接种日期 (expired vaccine or wrong expiry)"),
        FaultType("register_history_incomplete", "register_change", "recipient_id", "child", 0.002,
                  "在册变更历史缺最后一条: the last change is missing, so the history ends in another status than "
                  "the recipient's current register_status (row_key is the recipient_id)"),
        FaultType("migration_decided_before_initiated", "migration", "decided_at", "open request", 0.02,
                  "迁移拒绝时间早于发起时间"),
        FaultType("observation_end_before_start", "observation", "obs_end_at", "visit", 0.002,
                  "留观结束时间早于开始时间"),
        FaultType("vaccination_sign_orphan", "vaccination_sign", "vaccination_id", "signed dose", 0.001,
                  "接种签核指向不存在的接种记录"),
        FaultType("rating_out_of_range", "service_evaluation", "rating", "active evaluation", 0.003,
                  "服务评价评分超出 1–5 (0, 6, 10)"),
        FaultType("dose_without_stock_movement", "vaccination", "batch_no", "dose", 0.002,
                  "接种记录无对应出库 (dose not deducted from the clinic's stock: OUT_USE < doses)"),
        FaultType("stock_negative_balance", "stock_line", "quantity", "clinic batch", 0.01,
                  "库存为负 (a clinic received fewer than it used in its first month of a batch); key unit:batch"),
        FaultType("stock_expired_use", "vaccine_batch", "expiry_date", "batch", 0.01,
                  "使用过期批次 (batch master expiry precedes a use of the batch)"),
        FaultType("bad_trace_code", "trace_code", "trace_code", "trace code", 0.02,
                  "追溯码结构错误 (not 20 digits, or prefix not a known 药品标识码)"),
        FaultType("stock_count_discrepancy", "stock_count", "counted_quantity", "count row", 0.002,
                  "盘点实盘数与账面结存不符 (a few 支/瓶 missing or found); row_key count_id"),
        FaultType("newborn_reason_missing", "newborn", "hepb1_reason", "birth dose not given", 0.05,
                  "产科未种原因未填写 (HepB1 or BCG not given at birth, reason null; row_key newborn_id)"),
    )
}

DEFAULT_FAULT_RATES: dict[str, float] = {name: fault.default_rate for name, fault in FAULT_TYPES.items()}


def resolve_rates(overrides: dict[str, float] | None) -> dict[str, float]:
    rates = dict(DEFAULT_FAULT_RATES)
    for name, rate in (overrides or {}).items():
        if name not in FAULT_TYPES:
            raise ValueError(f"unknown fault type {name!r}; known: {', '.join(FAULT_TYPES)}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate for {name} must be within [0, 1], got {rate}")
        rates[name] = rate
    return rates


class FaultLog:
    """Writes manifest rows (to a COPY stream) and counts them per fault type."""

    def __init__(self, writer: CopyWriter | None, first_id: int = 1) -> None:
        self.writer = writer
        self.next_id = first_id
        self.counts: Counter[str] = Counter()

    def record(self, fault_type: str, row_key: int | str, detail: str) -> None:
        fault = FAULT_TYPES[fault_type]
        if self.writer is not None:
            self.writer.write((self.next_id, fault_type, fault.table, str(row_key), fault.column, detail))
        self.next_id += 1
        self.counts[fault_type] += 1
