"""受种者个案: one recipient's whole case from ``marts.dim_recipients`` and ``marts.rpt_recipient_case``."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from vaxdw.db import PgParams, connect

SECTIONS = {
    "vaccination": "接种记录",
    "migration": "迁移记录",
    "register_change": "在册变更",
    "contraindication": "禁忌症",
    "aefi": "疑似预防接种异常反应",
    "infection": "传染病史",
    "allergy": "过敏史",
    "operation_log": "操作日志",
}
EVENT_COLUMNS = ["event_at", "unit_id", "unit_name", "item", "detail", "source_key"]
PROFILE_FIELDS = {
    "recipient_id": "受种者编号",
    "recipient_name": "姓名",
    "sex_name": "性别",
    "birth_at": "出生时间",
    "id_number": "身份证号",
    "mother_name": "母亲姓名",
    "register_status_name": "在册情况",
    "managing_unit_id": "管理单位编码",
    "managing_unit_name": "管理单位",
    "created_at": "建档时间",
}


@dataclass
class RecipientCase:
    profile: dict[str, object]  # Chinese label → value
    sections: dict[str, pd.DataFrame]  # section code → events in time order

    @property
    def recipient_id(self) -> int:
        return int(self.profile["受种者编号"])


def query_recipient_case(params: PgParams, recipient_id: int) -> RecipientCase:
    with connect(params) as conn:
        cursor = conn.execute(
            f"select {', '.join(PROFILE_FIELDS)} from marts.dim_recipients where recipient_id = %s", (recipient_id,))
        row = cursor.fetchone()
        if row is None:
            raise ValueError(f"受种者 {recipient_id} 不存在（或已删除）")
        events = conn.execute(
            f"select section, {', '.join(EVENT_COLUMNS)} from marts.rpt_recipient_case where recipient_id = %s "
            "order by section_order, event_at, source_key", (recipient_id,)).fetchall()
    frame = pd.DataFrame(events, columns=["section", *EVENT_COLUMNS])
    sections = {
        code: frame[frame["section"] == code].drop(columns="section").reset_index(drop=True) for code in SECTIONS
    }
    return RecipientCase(dict(zip(PROFILE_FIELDS.values(), row, strict=True)), sections)
