"""实种情况统计表: doses by region, vaccine, manufacturer and dose number (DOMAIN.md §8.2).

Input is the report object built in vaxdw.reports.shizhong (duck-typed here, so this module knows only its
neighbour's fields): `filters` (Chinese label → value), `rows` (one row per region × vaccine × dose_no ×
manufacturer with `doses` and `persons`), `total_doses` and `total_persons` (distinct persons over the
whole report).

Layout: one row per (region, vaccine, manufacturer), sorted by region, vaccine and manufacturer code:

    地区编码 | 地区 | 疫苗 | 生产企业 |        接种剂次数          |   合计
                                     | 第1剂 | 第2剂 | … | 第N剂 | 剂次数 | 人数

N is the highest dose number present (at least 1). Dose records without a usable dose number (missing or
< 1) get an extra "剂次不详" column so that every row still adds up.

Non-vaccine products (HBIG 39xx and the like; column `is_non_vaccine_product` when the report has it,
else vaccine codes starting with 39) are listed separately (§8.2): when there are any, the body has a
"疫苗" section and a "非疫苗类制品" section, each opened by a caption row. The 合计 row covers both, as
`report.total_doses` and `report.total_persons` do, and a footnote says so.

Persons are not additive over doses (one child who had dose 1 and dose 2 is one person):
- the row's 人数 comes from `row_persons` (distinct persons per region_code × vaccine_code ×
  manufacturer_code) when the caller passes it or the report carries a non-empty `row_persons`;
- otherwise it is the largest per-dose count of the row, a lower bound of the distinct count, and a
  footnote says so;
- the 合计 row's 人数 is always `report.total_persons`, never a sum.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from exporters.statement import INTEGER, RATE, TEXT, Column, Statement, StatementRow, write_statement
from vaxdw import clock

TITLE = "实种情况统计表"
SHEET_NAME = "实种情况统计"
ROW_KEYS = ["region_code", "vaccine_code", "manufacturer_code"]
LABEL_KEYS = [
    "region_code",
    "region_name",
    "vaccine_code",
    "vaccine_name",
    "manufacturer_code",
    "manufacturer_name",
]
REQUIRED_COLUMNS = [*LABEL_KEYS, "dose_no", "doses", "persons"]
UNKNOWN_DOSE_KEY = "dose_unknown"
NON_VACCINE_FLAG = "is_non_vaccine_product"
NON_VACCINE_CODE_PREFIX = "39"  # HBIG (DOMAIN.md §3.2), when the report has no flag column
CAPTION_VACCINES = "疫苗"
CAPTION_NON_VACCINES = "非疫苗类制品（免疫球蛋白等）"

NOTES_DEFINITION = (
    "注：1. 剂次数按接种日期统计，统计期内每接种一剂次计1剂次。",
    "2. 人数按受种者去重计数，同一人在统计范围内接种多剂次只计1人，故人数不能相加；"
    "合计行人数为全部统计范围内的去重人数。",
)
NOTE_ROW_PERSONS_EXACT = "3. 各行“人数”为该地区、疫苗、生产企业下的去重受种人数。"
NOTE_ROW_PERSONS_MAX = (
    "3. 各行“人数”为该地区、疫苗、生产企业下各剂次人数的最大值（去重人数的下限），"
    "同一人跨剂次未去重时实际人数可能更多。"
)
NOTE_NON_VACCINES = "4. 非疫苗类制品（如乙肝免疫球蛋白）单独列出，合计行包含其剂次数和人数。"


class ShizhongReport(Protocol):
    filters: dict[str, str]
    rows: pd.DataFrame
    total_doses: int
    total_persons: int


def _dose_key(dose_no: int) -> str:
    return f"dose_{dose_no}"


def _dose_numbers(rows: pd.DataFrame) -> pd.Series:
    """Dose number as a nullable integer; missing, non-numeric and < 1 become <NA> (剂次不详)."""
    dose_no = pd.to_numeric(rows["dose_no"], errors="coerce").astype("Float64")
    dose_no = dose_no.where(dose_no >= 1)
    return dose_no.round().astype("Int64")


def build_table(
    report: ShizhongReport, row_persons: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, int, bool]:
    """One row per (region, vaccine, manufacturer) with dose_1…dose_N, [dose_unknown], doses, persons.

    Returns (table, N, has_unknown_dose).
    """
    missing = [col for col in REQUIRED_COLUMNS if col not in report.rows.columns]
    if missing:
        raise ValueError(f"实种统计数据缺少列：{', '.join(missing)}")
    rows = report.rows.copy()
    for key in LABEL_KEYS:
        rows[key] = rows[key].astype("string").fillna("")
    rows["dose_no"] = _dose_numbers(rows)
    rows["doses"] = pd.to_numeric(rows["doses"]).fillna(0).astype("int64")
    rows["persons"] = pd.to_numeric(rows["persons"]).fillna(0).astype("int64")
    if NON_VACCINE_FLAG in rows.columns:
        rows[NON_VACCINE_FLAG] = rows[NON_VACCINE_FLAG].astype("boolean").fillna(False).astype(bool)
    else:
        rows[NON_VACCINE_FLAG] = rows["vaccine_code"].str.startswith(NON_VACCINE_CODE_PREFIX).astype(bool)

    known = rows["dose_no"].dropna()
    max_dose = int(known.max()) if len(known) else 1
    max_dose = max(max_dose, 1)
    has_unknown = bool(rows["dose_no"].isna().any())

    rows["dose_col"] = rows["dose_no"].map(_dose_key, na_action="ignore").fillna(UNKNOWN_DOSE_KEY)
    dose_cols = [_dose_key(n) for n in range(1, max_dose + 1)] + ([UNKNOWN_DOSE_KEY] if has_unknown else [])

    labels = rows.groupby(ROW_KEYS, sort=True, dropna=False)[
        ["region_name", "vaccine_name", "manufacturer_name"]
    ].first()
    labels[NON_VACCINE_FLAG] = rows.groupby(ROW_KEYS, sort=True, dropna=False)[NON_VACCINE_FLAG].any()
    if len(rows):
        by_dose = rows.pivot_table(
            index=ROW_KEYS, columns="dose_col", values="doses", aggfunc="sum", fill_value=0
        )
    else:
        by_dose = pd.DataFrame(index=labels.index)
    by_dose = by_dose.reindex(index=labels.index, columns=dose_cols, fill_value=0).astype("int64")
    table = labels.join(by_dose)
    table["doses"] = table[dose_cols].sum(axis=1).astype("int64")

    if row_persons is not None:
        lacking = [col for col in [*ROW_KEYS, "persons"] if col not in row_persons.columns]
        if lacking:
            raise ValueError(f"row_persons 缺少列：{', '.join(lacking)}")
        exact = row_persons[[*ROW_KEYS, "persons"]].copy()
        for key in ROW_KEYS:
            exact[key] = exact[key].astype("string").fillna("")
        exact = exact.set_index(ROW_KEYS)["persons"]
        if exact.index.has_duplicates:
            raise ValueError("row_persons 中地区、疫苗、生产企业组合重复")
        table["persons"] = exact.reindex(table.index)
        lost = table["persons"].isna()
        if lost.any():
            first = table.index[lost][0]
            raise ValueError(f"row_persons 缺少组合：地区 {first[0]}，疫苗 {first[1]}，生产企业 {first[2]}")
        table["persons"] = table["persons"].astype("int64")
    else:
        persons = rows.groupby(ROW_KEYS, sort=True, dropna=False)["persons"].max()
        table["persons"] = persons.reindex(table.index).fillna(0).astype("int64")

    table = table.reset_index().sort_values([NON_VACCINE_FLAG, *ROW_KEYS], kind="stable", ignore_index=True)
    return table, max_dose, has_unknown


def _resolve_row_persons(report: ShizhongReport, row_persons: pd.DataFrame | None) -> pd.DataFrame | None:
    """The explicit argument wins; else the report's own `row_persons` if it is usable."""
    if row_persons is not None:
        return row_persons
    carried = getattr(report, "row_persons", None)
    if not isinstance(carried, pd.DataFrame) or not {*ROW_KEYS, "persons"} <= set(carried.columns):
        return None
    if carried.empty and not report.rows.empty:
        return None
    return carried


def _columns(max_dose: int, has_unknown: bool) -> list[Column]:
    dose_group = ("接种剂次数",)
    columns = [
        Column("region_code", "地区编码", TEXT),
        Column("region_name", "地区"),
        Column("vaccine_name", "疫苗"),
        Column("manufacturer_name", "生产企业"),
    ]
    columns += [Column(_dose_key(n), f"第{n}剂", INTEGER, group=dose_group) for n in range(1, max_dose + 1)]
    if has_unknown:
        columns.append(Column(UNKNOWN_DOSE_KEY, "剂次不详", INTEGER, group=dose_group))
    columns += [
        Column("doses", "剂次数", INTEGER, group=("合计",)),
        Column("persons", "人数", INTEGER, group=("合计",)),
    ]
    return columns


def build_statement(
    report: ShizhongReport,
    row_persons: pd.DataFrame | None = None,
    *,
    reporting_unit: str = "",
    prepared_by: str = "",
    prepared_on: date | None = None,
) -> Statement:
    row_persons = _resolve_row_persons(report, row_persons)
    table, max_dose, has_unknown = build_table(report, row_persons)
    columns = _columns(max_dose, has_unknown)
    dose_keys = [col.key for col in columns if col.group == ("接种剂次数",)]

    totals: dict[str, Any] = {key: int(table[key].sum()) for key in dose_keys}
    totals["doses"] = int(table["doses"].sum())
    if totals["doses"] != int(report.total_doses):
        raise ValueError(
            f"实种统计数据不一致：明细剂次合计 {totals['doses']} 不等于报表总剂次 {report.total_doses}"
        )
    totals["persons"] = int(report.total_persons)

    body: list[Mapping[str, Any] | StatementRow] = []
    has_non_vaccines = bool(table[NON_VACCINE_FLAG].any())
    previous: bool | None = None
    for record in table.to_dict("records"):
        section = bool(record[NON_VACCINE_FLAG])
        if has_non_vaccines and section != previous:
            body.append(StatementRow(caption=CAPTION_NON_VACCINES if section else CAPTION_VACCINES))
            previous = section
        body.append({col.key: record[col.key] for col in columns})
    notes = [*NOTES_DEFINITION, NOTE_ROW_PERSONS_EXACT if row_persons is not None else NOTE_ROW_PERSONS_MAX]
    if has_non_vaccines:
        notes.append(NOTE_NON_VACCINES)
    signatures: Mapping[str, str] = {
        "填报单位": reporting_unit,
        "制表人": prepared_by,
        "制表日期": (prepared_on or clock.today()).isoformat(),
    }
    return Statement(
        title=TITLE,
        subtitle="单位：剂次、人",
        columns=columns,
        rows=body,
        sheet_name=SHEET_NAME,
        filters=dict(report.filters),
        totals=totals,
        label_columns=4,
        signatures=signatures,
        notes=notes,
    )


def write_shizhong(
    report: ShizhongReport,
    path: str | Path,
    row_persons: pd.DataFrame | None = None,
    *,
    reporting_unit: str = "",
    prepared_by: str = "",
    prepared_on: date | None = None,
) -> Path:
    """Write 实种情况统计表 for `report` to `path` and return the path.

    `row_persons` (optional): distinct persons per region_code × vaccine_code × manufacturer_code, in a
    column `persons`; defaults to `report.row_persons` when the report carries a non-empty one. Without
    either, each row shows the largest per-dose count and a footnote says so.
    """
    if getattr(report, "view", "detail") == "manufacturer":
        statement = build_manufacturer_statement(
            report, reporting_unit=reporting_unit, prepared_by=prepared_by, prepared_on=prepared_on
        )
    else:
        statement = build_statement(
            report, row_persons, reporting_unit=reporting_unit, prepared_by=prepared_by, prepared_on=prepared_on
        )
    return write_statement(statement, path)


def build_manufacturer_statement(
    report: ShizhongReport,
    *,
    reporting_unit: str = "",
    prepared_by: str = "",
    prepared_on: date | None = None,
) -> Statement:
    """生产企业视图: one row per region × vaccine × manufacturer (all dose numbers together) with doses,
    distinct persons and the manufacturer's share of the vaccine's doses in the region."""
    missing = [col for col in [*LABEL_KEYS, "doses", "persons"] if col not in report.rows.columns]
    if missing:
        raise ValueError(f"实种统计数据缺少列：{', '.join(missing)}")
    rows = report.rows.copy()
    for key in LABEL_KEYS:
        rows[key] = rows[key].astype("string").fillna("")
    rows["doses"] = pd.to_numeric(rows["doses"]).fillna(0).astype("int64")
    if NON_VACCINE_FLAG not in rows.columns:
        rows[NON_VACCINE_FLAG] = rows["vaccine_code"].str.startswith(NON_VACCINE_CODE_PREFIX)
    rows[NON_VACCINE_FLAG] = rows[NON_VACCINE_FLAG].astype("boolean").fillna(False).astype(bool)
    vaccine_doses = rows.groupby(["region_code", "vaccine_code"])["doses"].transform("sum")
    rows["share"] = rows["doses"] / vaccine_doses.where(vaccine_doses > 0)
    rows = rows.sort_values([NON_VACCINE_FLAG, *ROW_KEYS], kind="stable", ignore_index=True)
    columns = [
        Column("region_code", "地区编码", TEXT),
        Column("region_name", "地区"),
        Column("vaccine_name", "疫苗"),
        Column("manufacturer_name", "生产企业"),
        Column("doses", "剂次数", INTEGER),
        Column("persons", "人数", INTEGER),
        Column("share", "占该疫苗剂次比例", RATE),
    ]
    if int(rows["doses"].sum()) != int(report.total_doses):
        raise ValueError(f"实种统计数据不一致：明细剂次合计 {int(rows['doses'].sum())} 不等于报表总剂次 {report.total_doses}")
    body: list[Mapping[str, Any] | StatementRow] = []
    has_non_vaccines = bool(rows[NON_VACCINE_FLAG].any())
    previous: bool | None = None
    for record in rows.to_dict("records"):
        section = bool(record[NON_VACCINE_FLAG])
        if has_non_vaccines and section != previous:
            body.append(StatementRow(caption=CAPTION_NON_VACCINES if section else CAPTION_VACCINES))
            previous = section
        body.append({col.key: record[col.key] for col in columns})
    notes = [*NOTES_DEFINITION, "3. 各行“人数”为该地区、疫苗、生产企业下的去重受种人数；各剂次合并统计。"]
    if has_non_vaccines:
        notes.append(NOTE_NON_VACCINES)
    return Statement(
        title=TITLE,
        subtitle="生产企业视图　单位：剂次、人",
        columns=columns,
        rows=body,
        sheet_name=SHEET_NAME,
        filters=dict(report.filters),
        totals={"doses": int(report.total_doses), "persons": int(report.total_persons)},
        label_columns=4,
        signatures={"填报单位": reporting_unit, "制表人": prepared_by,
                    "制表日期": (prepared_on or clock.today()).isoformat()},
        notes=notes,
    )
