"""实种情况统计表: values read back from the workbook equal sums computed independently from the input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from exporters.shizhong import write_shizhong

FILTERS = {"地区": "西安市", "浏览级别": "县(区)", "接种日期": "2024-01-01 至 2024-12-31"}
KEYS = ["region_code", "vaccine_code", "manufacturer_code"]


@dataclass
class StandInReport:
    """Same fields as vaxdw.reports.shizhong's report (built elsewhere)."""

    filters: dict[str, str]
    rows: pd.DataFrame
    total_doses: int
    total_persons: int


@dataclass
class StandInReportWithRowPersons(StandInReport):
    """The real report also carries distinct persons per row (empty when not computed)."""

    row_persons: pd.DataFrame | None = None


def _rows(seed: int = 11) -> pd.DataFrame:
    """Regions × vaccines × manufacturers × doses, with gaps (not every dose for every combination)."""
    rng = np.random.default_rng(seed)
    regions = [("610113", "雁塔区"), ("610102", "新城区"), ("610104", "莲湖区")]
    vaccines = [("0101", "乙肝疫苗", 3), ("1201", "麻腮风疫苗", 2), ("0401", "百白破疫苗", 4)]
    makers = [("03", "深圳康泰生物"), ("01", "北京天坛生物")]
    records = []
    for region_code, region_name in regions:
        for vaccine_code, vaccine_name, n_doses in vaccines:
            for maker_code, maker_name in makers:
                for dose_no in range(1, n_doses + 1):
                    if rng.random() < 0.2:
                        continue
                    doses = int(rng.integers(1, 3_000))
                    records.append(
                        {
                            "region_code": region_code,
                            "region_name": region_name,
                            "vaccine_code": vaccine_code,
                            "vaccine_name": vaccine_name,
                            "dose_no": dose_no,
                            "manufacturer_code": maker_code,
                            "manufacturer_name": maker_name,
                            "doses": doses,
                            "persons": doses - int(rng.integers(0, 5)),
                        }
                    )
    return pd.DataFrame(records).sample(frac=1, random_state=seed).reset_index(drop=True)


def _report(rows: pd.DataFrame, total_persons: int = 4_321) -> StandInReport:
    # total_persons deliberately differs from any sum: it is a distinct count made elsewhere
    return StandInReport(dict(FILTERS), rows, int(rows["doses"].sum()), total_persons)


def _open(path: Path):
    return openpyxl.load_workbook(path).active


def _header_row(ws) -> int:
    for row in range(1, ws.max_row + 1):
        if ws.cell(row=row, column=1).value == "地区编码":
            return row
    raise AssertionError("header not found")


def _table(ws) -> tuple[list[str], list[dict], dict]:
    """Body rows and totals row as dicts keyed by the bottom header labels (group label for A:D)."""
    top = _header_row(ws)
    labels = [
        ws.cell(row=top + 1, column=col).value or ws.cell(row=top, column=col).value
        for col in range(1, ws.max_column + 1)
    ]
    body, totals = [], None
    for row in range(top + 2, ws.max_row + 1):
        first = ws.cell(row=row, column=1).value
        values = dict(
            zip(
                labels, (ws.cell(row=row, column=col).value for col in range(1, len(labels) + 1)), strict=True
            )
        )
        if first == "合计":
            totals = values
            break
        if ws.cell(row=row, column=2).value is None:  # a section caption across the table
            continue
        body.append(values)
    assert totals is not None, "no 合计 row"
    return labels, body, totals


def test_layout_header_and_filters(tmp_path: Path) -> None:
    rows = _rows()
    path = write_shizhong(_report(rows), tmp_path / "shizhong.xlsx", prepared_on=date(2025, 1, 6))
    assert path == tmp_path / "shizhong.xlsx"
    ws = _open(path)
    assert ws.title == "实种情况统计"
    assert ws["A1"].value == "实种情况统计表"
    n = int(rows["dose_no"].max())
    width = 4 + n + 2
    merged = {str(rng) for rng in ws.merged_cells.ranges}
    last = openpyxl.utils.get_column_letter(width)
    assert f"A1:{last}1" in merged

    top = _header_row(ws)
    text_above = " ".join(str(ws.cell(row=row, column=1).value) for row in range(1, top))
    for label, value in FILTERS.items():
        assert f"{label}：{value}" in text_above

    labels, _, _ = _table(ws)
    assert labels == [
        "地区编码",
        "地区",
        "疫苗",
        "生产企业",
        *(f"第{k}剂" for k in range(1, n + 1)),
        "剂次数",
        "人数",
    ]
    assert ws.cell(row=top, column=5).value == "接种剂次数"
    assert ws.cell(row=top, column=5 + n).value == "合计"
    dose_last = openpyxl.utils.get_column_letter(4 + n)
    sum_first = openpyxl.utils.get_column_letter(5 + n)
    assert {
        f"A{top}:A{top + 1}",
        f"D{top}:D{top + 1}",
        f"E{top}:{dose_last}{top}",
        f"{sum_first}{top}:{last}{top}",
    } <= merged

    first_body = top + 2
    assert ws.freeze_panes == f"E{first_body}"
    assert ws.print_title_rows == f"${top}:${top + 1}"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert int(ws.page_setup.fitToWidth) == 1
    assert ws.oddFooter.center.text == "第 &P 页 / 共 &N 页"
    for col in range(5, width + 1):
        assert ws.cell(row=first_body, column=col).number_format == "#,##0"
    assert ws.cell(row=first_body, column=1).number_format == "@"

    footer = "\n".join(str(ws.cell(row=row, column=1).value) for row in range(first_body, ws.max_row + 1))
    assert "制表日期：2025-01-06" in footer
    assert "按接种日期统计" in footer and "只计1人" in footer
    assert "最大值" in footer  # no row_persons given: the footnote says how 人数 was made


def test_rows_and_totals_equal_independent_sums(tmp_path: Path) -> None:
    rows = _rows()
    report = _report(rows)
    _, body, totals = _table(_open(write_shizhong(report, tmp_path / "s.xlsx")))
    n = int(rows["dose_no"].max())

    groups = rows.groupby(KEYS)
    assert len(body) == groups.ngroups
    assert [(r["地区编码"], r["生产企业"]) for r in body] == [
        (key[0], rows.loc[idx[0], "manufacturer_name"]) for key, idx in groups.indices.items()
    ]  # sorted by region, vaccine, manufacturer code
    for record in body:
        mask = (
            rows["region_name"].eq(record["地区"])
            & rows["vaccine_name"].eq(record["疫苗"])
            & rows["manufacturer_name"].eq(record["生产企业"])
        )
        part = rows[mask]
        for k in range(1, n + 1):
            assert record[f"第{k}剂"] == int(part.loc[part["dose_no"] == k, "doses"].sum())
        assert record["剂次数"] == int(part["doses"].sum())
        assert record["人数"] == int(part["persons"].max())

    for k in range(1, n + 1):
        assert totals[f"第{k}剂"] == int(rows.loc[rows["dose_no"] == k, "doses"].sum())
    assert totals["剂次数"] == int(rows["doses"].sum()) == report.total_doses
    assert totals["人数"] == report.total_persons != int(rows["persons"].sum())


def test_row_persons_used_when_given(tmp_path: Path) -> None:
    rows = _rows()
    row_persons = rows.groupby(KEYS, as_index=False)["persons"].sum()
    row_persons["persons"] = row_persons["persons"] - 7  # a distinct count: different from max and sum
    ws = _open(write_shizhong(_report(rows), tmp_path / "s.xlsx", row_persons=row_persons))
    _, body, _ = _table(ws)
    expected = rows.groupby(KEYS)["persons"].sum().sub(7).tolist()
    assert [record["人数"] for record in body] == expected
    footer = "\n".join(str(ws.cell(row=row, column=1).value) for row in range(1, ws.max_row + 1))
    assert "去重受种人数" in footer and "最大值" not in footer


def test_row_persons_must_cover_every_row(tmp_path: Path) -> None:
    rows = _rows()
    row_persons = rows.groupby(KEYS, as_index=False)["persons"].sum().iloc[1:]
    with pytest.raises(ValueError, match="row_persons 缺少组合"):
        write_shizhong(_report(rows), tmp_path / "s.xlsx", row_persons=row_persons)


def test_inconsistent_total_doses_is_an_error(tmp_path: Path) -> None:
    rows = _rows()
    report = StandInReport(dict(FILTERS), rows, int(rows["doses"].sum()) + 1, 10)
    with pytest.raises(ValueError, match="不一致"):
        write_shizhong(report, tmp_path / "s.xlsx")


def test_empty_report_has_one_dose_column_and_zero_totals(tmp_path: Path) -> None:
    empty = _rows().iloc[0:0]
    labels, body, totals = _table(_open(write_shizhong(StandInReport({}, empty, 0, 0), tmp_path / "e.xlsx")))
    assert labels[4:] == ["第1剂", "剂次数", "人数"]
    assert body == []
    assert (totals["第1剂"], totals["剂次数"], totals["人数"]) == (0, 0, 0)


def test_unknown_dose_number_gets_its_own_column(tmp_path: Path) -> None:
    rows = _rows()
    extra = rows.iloc[[0]].copy()
    extra["dose_no"] = None
    extra["doses"] = 5
    rows = pd.concat([rows, extra], ignore_index=True)
    labels, body, totals = _table(_open(write_shizhong(_report(rows), tmp_path / "u.xlsx")))
    assert "剂次不详" in labels
    assert totals["剂次不详"] == 5
    assert totals["剂次数"] == int(rows["doses"].sum())
    n = int(pd.to_numeric(rows["dose_no"]).max())
    for record in body:
        assert record["剂次数"] == sum(record[f"第{k}剂"] for k in range(1, n + 1)) + record["剂次不详"]


def test_report_row_persons_used_by_default_and_empty_ignored(tmp_path: Path) -> None:
    rows = _rows()
    row_persons = rows.groupby(KEYS, as_index=False)["persons"].sum()
    report = StandInReportWithRowPersons(dict(FILTERS), rows, int(rows["doses"].sum()), 99, row_persons)
    _, body, _ = _table(_open(write_shizhong(report, tmp_path / "a.xlsx")))
    assert [record["人数"] for record in body] == rows.groupby(KEYS)["persons"].sum().tolist()

    report.row_persons = pd.DataFrame()  # not computed: fall back to the per-dose maximum
    _, body, _ = _table(_open(write_shizhong(report, tmp_path / "b.xlsx")))
    assert [record["人数"] for record in body] == rows.groupby(KEYS)["persons"].max().tolist()


def test_non_vaccine_products_listed_separately_but_in_totals(tmp_path: Path) -> None:
    rows = _rows()
    hbig = pd.DataFrame(
        [
            {
                "region_code": "610102",
                "region_name": "新城区",
                "vaccine_code": "3901",
                "vaccine_name": "乙肝免疫球蛋白",
                "dose_no": 1,
                "manufacturer_code": "07",
                "manufacturer_name": "华兰生物",
                "doses": 40,
                "persons": 40,
            }
        ]
    )
    rows = pd.concat([hbig, rows], ignore_index=True)
    ws = _open(write_shizhong(_report(rows), tmp_path / "h.xlsx"))
    captions = [
        ws.cell(row=row, column=1).value
        for row in range(_header_row(ws) + 2, ws.max_row + 1)
        if ws.cell(row=row, column=1).value in {"疫苗", "非疫苗类制品（免疫球蛋白等）"}
    ]
    assert captions == ["疫苗", "非疫苗类制品（免疫球蛋白等）"]
    _, body, totals = _table(ws)
    assert body[-1]["疫苗"] == "乙肝免疫球蛋白"  # after every vaccine row, although its region sorts first
    assert all(record["疫苗"] != "乙肝免疫球蛋白" for record in body[:-1])
    assert totals["剂次数"] == int(rows["doses"].sum())
    footer = "\n".join(str(ws.cell(row=row, column=1).value) for row in range(1, ws.max_row + 1))
    assert "非疫苗类制品" in footer and "合计行包含" in footer

    flagged = rows.assign(is_non_vaccine_product=rows["vaccine_code"].eq("1201"))  # the report's flag wins
    _, body, _ = _table(_open(write_shizhong(_report(flagged), tmp_path / "f.xlsx")))
    n_flagged = flagged[flagged["is_non_vaccine_product"]].groupby(KEYS).ngroups
    assert [record["疫苗"] for record in body[-n_flagged:]] == ["麻腮风疫苗"] * n_flagged
    assert "麻腮风疫苗" not in {record["疫苗"] for record in body[:-n_flagged]}
