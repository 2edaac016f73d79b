"""IPV补种剂次统计表 statement (DOMAIN §8.7) and its streamed 明细 (the children and their doses)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from exporters.statement import DATE, INTEGER, RATE, TEXT, Column, Statement, write_detail, write_statement
from vaxdw import clock

TITLE = "IPV补种剂次统计表"

COLUMNS = [
    Column("region_code", "地区编码", TEXT),
    Column("region_name", "地区"),
    Column("eligible", "补种对象数", INTEGER),
    Column("need_2", "需补2剂", INTEGER, group=("需补种人数",)),
    Column("need_1", "需补1剂", INTEGER, group=("需补种人数",)),
    Column("need_0", "无需补种", INTEGER, group=("需补种人数",)),
    Column("needing", "需补种合计", INTEGER, group=("需补种人数",)),
    Column("dose1_given", "第1剂", INTEGER, group=("补种剂次数",)),
    Column("dose2_given", "第2剂", INTEGER, group=("补种剂次数",)),
    Column("completed", "完成补种人数", INTEGER, group=("完成情况",)),
    Column("completion_rate", "完成率", RATE, group=("完成情况",)),
    Column("needing_in_schedule", "纳入免疫程序人数", INTEGER),
]
NOTES = [
    "注：1. 补种对象：在册且出生日期在补种活动出生范围内的儿童（按管理单位所在市的补种阶段，无市级配置时用全省配置）。",
    "2. 需补种剂次 = 2 − 补种开始日期前已接种含三价脊灰成分疫苗（IPV、tOPV 及含 IPV 联合疫苗）剂次数，最少为0；bOPV 不计。",
    "3. 补种剂次：补种期间接种的含 IPV 成分疫苗，按接种时间取前“需补种剂次数”剂；与前一剂脊灰疫苗间隔不足28天的在明细中标记。",
    "4. 完成率 = 完成补种人数 / 需补种合计。纳入免疫程序：补种开始时常规脊灰疫苗剂次未完成（4岁以下3剂、4岁及以上4剂）。",
]


def build_statement(report: Any, prepared_on: date | None = None) -> Statement:
    rows = [{col.key: record.get(col.key) for col in COLUMNS} for record in report.rows.to_dict("records")]
    return Statement(
        title=TITLE, subtitle="单位：人、剂次", columns=COLUMNS, rows=rows, sheet_name="IPV补种剂次统计",
        filters=dict(report.filters), totals=dict(report.totals), label_columns=2,
        signatures={"填报单位": "", "制表人": "", "制表日期": (prepared_on or clock.today()).isoformat()},
        notes=NOTES,
    )


def write_ipv_catchup(report: Any, path: str | Path, prepared_on: date | None = None) -> Path:
    return write_statement(build_statement(report, prepared_on), path)


DETAIL_COLUMNS = [
    ("recipient_id", "受种者编号", TEXT),
    ("recipient_name", "姓名", TEXT),
    ("birth_date", "出生日期", DATE),
    ("managing_unit_id", "管理单位编码", TEXT),
    ("managing_unit_name", "管理单位", TEXT),
    ("campaign_id", "补种活动", TEXT),
    ("campaign_start_date", "补种开始日期", DATE),
    ("trivalent_doses_before", "补种前含三价成分剂次", INTEGER),
    ("doses_needed", "需补种剂次", INTEGER),
    ("catchup1_date", "补种第1剂日期", DATE),
    ("catchup1_vaccine_code", "补种第1剂疫苗", TEXT),
    ("catchup1_is_interval_valid", "第1剂间隔合格", "General"),
    ("catchup2_date", "补种第2剂日期", DATE),
    ("catchup2_vaccine_code", "补种第2剂疫苗", TEXT),
    ("catchup2_is_interval_valid", "第2剂间隔合格", "General"),
    ("is_completed", "完成补种", "General"),
    ("counts_in_schedule", "纳入免疫程序", "General"),
]


def write_ipv_catchup_detail(rows, path: str | Path, filters: dict[str, str]) -> Path:
    return write_detail(rows, DETAIL_COLUMNS, path, f"{TITLE}明细", filters=filters)
