"""产科打印: the values printed on a newborn's vaccination card (预防接种卡) and certificate (接种证).

One newborn record from ``marts.fct_newborns`` (names resolved for sex, HBsAg, townships); the unit's phone
comes from ``config/print_forms.yaml`` (``unit_phones``; the source contract has no phone column).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from vaxdw import clock
from vaxdw.db import PgParams, connect

CONFIG_PATH = Path(__file__).resolve().parents[2] / "config" / "print_forms.yaml"
FIELD_LABELS = {
    "name": "姓名", "sex": "性别", "birth_at": "出生时间", "birth_weight": "出生体重(克)", "mother_name": "母亲姓名",
    "mother_hbsag": "母亲HBsAg", "household": "户籍地", "residence": "现住址", "hepb1_at": "乙肝疫苗第1剂",
    "bcg_at": "卡介苗", "hbig_at": "乙肝免疫球蛋白", "unit_name": "接种单位", "unit_phone": "单位电话",
    "printed_on": "打印日期",
}
OMITTABLE = ("name", "unit_phone", "unit_name")
SEX = {"1": "男", "2": "女"}
HBSAG = {"1": "阳性", "2": "阴性", "3": "不详"}


@dataclass
class PrintRecord:
    newborn_id: int
    values: dict[str, str]


def load_forms(path: Path | None = None) -> dict:
    return yaml.safe_load((path or CONFIG_PATH).read_text(encoding="utf-8"))


def _moment(value) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


def print_record(params: PgParams, newborn_id: int, forms: dict | None = None,
                 printed_on: date | None = None) -> PrintRecord:
    forms = forms or load_forms()
    with connect(params) as conn:
        row = conn.execute(
            """
            select newborns.newborn_name, newborns.sex, newborns.birth_at, newborns.birth_weight,
                   newborns.mother_name, newborns.mother_hbsag, households.region_name, residences.region_name,
                   newborns.is_hepb1_given, newborns.hepb1_at, hepb1_reasons.unvaccinated_reason_name,
                   newborns.is_bcg_given, newborns.bcg_at, bcg_reasons.unvaccinated_reason_name,
                   newborns.hbig_at, newborns.unit_id, newborns.unit_name
            from marts.fct_newborns as newborns
            left join marts.dim_region as households on newborns.household_township_code = households.region_code
            left join marts.dim_region as residences on newborns.residence_township_code = residences.region_code
            left join seeds.ref_unvaccinated_reason as hepb1_reasons
                on newborns.hepb1_reason = hepb1_reasons.unvaccinated_reason
            left join seeds.ref_unvaccinated_reason as bcg_reasons
                on newborns.bcg_reason = bcg_reasons.unvaccinated_reason
            where newborns.newborn_id = %s
            """,
            (newborn_id,),
        ).fetchone()
    if row is None:
        raise LookupError(f"产科新生儿档案 {newborn_id} 不存在或已删除")
    (name, sex, birth_at, weight, mother, hbsag, household, residence, hepb1_given, hepb1_at, hepb1_reason,
     bcg_given, bcg_at, bcg_reason, hbig_at, unit_id, unit_name) = row
    phones = forms.get("unit_phones") or {}
    values = {
        "name": name or "", "sex": SEX.get(sex, ""), "birth_at": _moment(birth_at),
        "birth_weight": "" if weight is None else str(weight), "mother_name": mother or "",
        "mother_hbsag": HBSAG.get(hbsag, ""), "household": household or "", "residence": residence or "",
        "hepb1_at": _moment(hepb1_at) if hepb1_given else f"未种（{hepb1_reason or '原因未填写'}）",
        "bcg_at": _moment(bcg_at) if bcg_given else f"未种（{bcg_reason or '原因未填写'}）",
        "hbig_at": _moment(hbig_at), "unit_name": unit_name or "",
        "unit_phone": str(phones.get(unit_id, forms.get("default_unit_phone") or "")),
        "printed_on": f"{printed_on or clock.today():%Y-%m-%d}",
    }
    return PrintRecord(newborn_id, values)
