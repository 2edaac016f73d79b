"""个案随机抽查 list: the sampled children, streamed (write-only workbook) with the seed in the header."""

from __future__ import annotations

from pathlib import Path

from exporters.statement import DATE, INTEGER, TEXT, write_detail

TITLE = "个案随机抽查名单"
COLUMNS = [
    ("sample_rank", "序号", INTEGER),
    ("recipient_id", "受种者编号", TEXT),
    ("recipient_name", "姓名", TEXT),
    ("sex_name", "性别", TEXT),
    ("birth_date", "出生日期", DATE),
    ("id_number", "身份证号", TEXT),
    ("mother_name", "母亲姓名", TEXT),
    ("register_status_name", "在册情况", TEXT),
    ("managing_unit_id", "管理单位编码", TEXT),
    ("managing_unit_name", "管理单位", TEXT),
    ("doses", "接种剂次数", INTEGER),
    ("last_vaccination_date", "最近接种日期", DATE),
]


def write_case_sample(rows, path: str | Path, filters: dict[str, str]) -> Path:
    return write_detail(rows, COLUMNS, path, TITLE, sheet_name="抽查名单", filters=filters)
