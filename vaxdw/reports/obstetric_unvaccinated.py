"""产科未种原因: newborns who did not get HepB dose 1 or BCG at birth, with the recorded reason.

Population: obstetric newborn records (not deleted) born in [date_from, date_to], placed at the obstetric
unit's regions; one row per missed birth dose (``marts.rpt_obstetric_unvaccinated_detail``). The list counts
missed doses per region × reason; the detail export names the children (mother's name and ID number), so it
requires ``export_detail`` permission from the access model and every attempt — allowed or refused — is
written to ``audit.export_log`` with the user, filters and row count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from vaxdw.access.audit import audited_export
from vaxdw.access.authorize import ExportScope, Grant
from vaxdw.access.model import AccessModel
from vaxdw.db import PgParams, connect
from vaxdw.reports.browse import (
    LEVEL_LABELS,
    check_period,
    level_columns,
    period_label,
    region_clause,
    region_label,
)

DETAIL_TABLE = "marts.rpt_obstetric_unvaccinated_detail"
REPORT = "产科未种原因"
BIRTH_DOSES = {"HepB1": "乙肝疫苗第1剂", "BCG": "卡介苗"}
REASONS = {"01": "早产/低体重", "02": "医学禁忌", "03": "家长拒绝", "04": "疫苗短缺", "05": "其他", "00": "未填写"}
# Vaccine codes of the birth doses for the access model's vaccine scope.
BIRTH_DOSE_CATEGORY = {"HepB1": "02", "BCG": "01"}


@dataclass
class UnvaccinatedReport:
    filters: dict[str, str]
    rows: pd.DataFrame  # region_code, region_name, one count column per reason code, total
    totals: dict[str, int]
    level: str


def where_clause(region_code, date_from, date_to, birth_doses=None):
    where, query_params = region_clause(region_code)
    clauses = [where, "birth_date between %(date_from)s and %(date_to)s"]
    query_params.update(date_from=date_from, date_to=date_to)
    if birth_doses:
        unknown = set(birth_doses) - set(BIRTH_DOSES)
        if unknown:
            raise ValueError(f"出生剂次无效：{'、'.join(sorted(unknown))}（可选 HepB1, BCG）")
        clauses.append("birth_dose = any(%(birth_doses)s)")
        query_params["birth_doses"] = list(birth_doses)
    return " and ".join(clauses), query_params


def _measures() -> str:
    parts = [f"count(*) filter (where unvaccinated_reason = '{code}') as reason_{code}" for code in REASONS]
    return ", ".join([*parts, "count(*) as total"])


def query_unvaccinated(params: PgParams, level: str, region_code: str | None, date_from: date, date_to: date,
                       birth_doses=None) -> UnvaccinatedReport:
    check_period(date_from, date_to)
    code_column, name_column = level_columns(level)
    where, query_params = where_clause(region_code, date_from, date_to, birth_doses)
    count_columns = [f"reason_{code}" for code in REASONS] + ["total"]
    with connect(params) as conn:
        records = conn.execute(
            f"select {code_column}, max({name_column}), {_measures()} from {DETAIL_TABLE} where {where} "
            f"group by {code_column} order by {code_column}", query_params).fetchall()
        total = conn.execute(f"select {_measures()} from {DETAIL_TABLE} where {where}", query_params).fetchone()
    rows = pd.DataFrame(records, columns=["region_code", "region_name", *count_columns])
    for column in count_columns:
        rows[column] = rows[column].astype("int64")
    filters = {
        "浏览级别": LEVEL_LABELS[level],
        "统计范围": region_label(params, region_code),
        "出生日期": period_label(date_from, date_to),
        "出生剂次": "、".join(BIRTH_DOSES[d] for d in birth_doses) if birth_doses else "乙肝疫苗第1剂、卡介苗",
    }
    return UnvaccinatedReport(filters, rows, dict(zip(count_columns, map(int, total), strict=True)), level)


DETAIL_COLUMNS = [
    ("newborn_id", "新生儿档案编号", "General"),
    ("unit_name", "产科单位", "@"),
    ("newborn_name", "新生儿姓名", "@"),
    ("sex", "性别", "@"),
    ("birth_at", "出生时间", "yyyy-mm-dd hh:mm"),
    ("birth_weight", "出生体重(克)", "0"),
    ("mother_name", "母亲姓名", "@"),
    ("mother_id_number", "母亲身份证号", "@"),
    ("mother_hbsag", "母亲HBsAg", "@"),
    ("birth_dose_name", "未种疫苗", "@"),
    ("unvaccinated_reason_name", "未种原因", "@"),
    ("recipient_id", "受种者编号", "General"),
]


def detail_rows(params: PgParams, grant: Grant | None, region_code, date_from, date_to, birth_doses=None):
    """Missed birth doses, streamed; restricted to the grant's region scope (obstetric unit's county)."""
    where, query_params = where_clause(region_code, date_from, date_to, birth_doses)
    sql = f"select {', '.join(k for k, _l, _f in DETAIL_COLUMNS)} from {DETAIL_TABLE} where {where}"
    if grant is not None:
        scope_sql, sql_params = grant.sql_filter("unit_county_code",
                                                 "(case birth_dose when 'HepB1' then '0201' else '0101' end)")
        named = {f"grant_{i}": value for i, value in enumerate(sql_params)}
        for name in named:
            scope_sql = scope_sql.replace("%s", f"%({name})s", 1)
        sql += f" and {scope_sql}"
        query_params.update(named)
    sql += " order by birth_date, unit_id, newborn_id, birth_dose"
    with connect(params) as conn, conn.cursor(name="obstetric_unvaccinated_detail") as cursor:
        cursor.execute(sql, query_params)
        yield from cursor


def export_detail(params: PgParams, user: str, region_code: str | None, date_from: date, date_to: date,
                  path: str | Path, birth_doses=None, model: AccessModel | None = None) -> int:
    """The authorised, audited detail export; returns the row count (raises AccessDenied when refused)."""
    from exporters.statement import write_detail

    check_period(date_from, date_to)
    vaccines = [BIRTH_DOSE_CATEGORY[d] for d in birth_doses] if birth_doses else None
    scope = ExportScope.of(region_code or None, vaccines)  # unit ids start with their county code

    def run(grant: Grant) -> int:
        count = 0

        def counted():
            nonlocal count
            for row in detail_rows(params, grant, region_code, date_from, date_to, birth_doses):
                count += 1
                yield row

        write_detail(counted(), DETAIL_COLUMNS, path, f"{REPORT}明细",
                     filters={"出生日期": period_label(date_from, date_to), "统计范围": region_code or "全省"})
        return count

    return audited_export(params, user, REPORT, "export_detail", scope, run,
                          extra_filters={"region": region_code, "date_from": date_from, "date_to": date_to,
                                         "birth_doses": list(birth_doses or [])}, model=model)
