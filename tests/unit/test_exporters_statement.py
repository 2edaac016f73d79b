"""The generic statement writer: layout, formats and print setup as read back from the saved workbook."""

from __future__ import annotations

import tracemalloc
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from exporters import statement as st
from exporters.statement import (
    INTEGER,
    RATE,
    Column,
    Statement,
    StatementRow,
    sum_columns,
    write_detail,
    write_statement,
)


def _input_frame(n_rows: int = 37, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "unit_code": [f"6101{idx:04d}" for idx in range(n_rows)],
            "unit_name": [f"西安市第{idx}接种门诊" for idx in range(n_rows)],
            "dose_1": rng.integers(0, 5_000, n_rows),
            "dose_2": rng.integers(0, 5_000, n_rows),
            "dose_3": rng.integers(0, 5_000, n_rows),
            "target": rng.integers(10_000, 20_000, n_rows),
        }
    )
    frame["doses"] = frame[["dose_1", "dose_2", "dose_3"]].sum(axis=1)
    frame["rate"] = frame["doses"] / frame["target"]
    return frame


COLUMNS = [
    Column("unit_code", "单位编码", st.TEXT),
    Column("unit_name", "接种单位"),
    Column("dose_1", "第1剂", INTEGER, group="剂次"),
    Column("dose_2", "第2剂", INTEGER, group="剂次"),
    Column("dose_3", "第3剂", INTEGER, group="剂次"),
    Column("doses", "剂次数", INTEGER, group=("合计",)),
    Column("rate", "接种率", RATE, group=("合计",)),
]
FILTERS = {"地区": "西安市", "浏览级别": "接种单位", "接种日期": "2024-01-01 至 2024-12-31"}


def _statement(frame: pd.DataFrame) -> Statement:
    return Statement(
        title="接种剂次统计表",
        subtitle="单位：剂次",
        columns=COLUMNS,
        rows=frame.to_dict("records"),
        sheet_name="剂次统计",
        filters=FILTERS,
        totals={
            **sum_columns(frame.to_dict("records"), ["dose_1", "dose_2", "dose_3", "doses"]),
            "rate": frame["doses"].sum() / frame["target"].sum(),
        },
        label_columns=2,
        signatures={"填报单位": "西安市疾控中心", "制表人": "李四", "制表日期": "2025-01-06"},
        notes=["注：剂次数按接种日期统计。"],
    )


@pytest.fixture
def written(tmp_path: Path) -> tuple[pd.DataFrame, openpyxl.worksheet.worksheet.Worksheet]:
    frame = _input_frame()
    path = write_statement(_statement(frame), tmp_path / "sub" / "statement.xlsx")
    assert path.exists()
    return frame, openpyxl.load_workbook(path).active


def _merged(ws) -> set[str]:
    return {str(rng) for rng in ws.merged_cells.ranges}


def _find_row(ws, text: str, column: int = 1) -> int:
    for row in range(1, ws.max_row + 1):
        if ws.cell(row=row, column=column).value == text:
            return row
    raise AssertionError(f"{text!r} not found in column {column}")


def test_title_is_merged_bold_and_larger(written) -> None:
    _, ws = written
    last = get_column_letter(len(COLUMNS))
    assert ws.title == "剂次统计"
    assert ws["A1"].value == "接种剂次统计表"
    assert f"A1:{last}1" in _merged(ws)
    assert ws["A1"].font.b
    assert ws["A1"].font.sz > ws.cell(row=_find_row(ws, "单位编码") + 2, column=1).font.sz
    assert ws["A1"].alignment.horizontal == "center"
    assert ws["A2"].value == "单位：剂次"


def test_filters_are_printed_under_the_title(written) -> None:
    _, ws = written
    header = _find_row(ws, "单位编码")
    filter_text = "".join(str(ws.cell(row=row, column=1).value) for row in range(3, header))
    for label, value in FILTERS.items():
        assert f"{label}：{value}" in filter_text


def test_header_texts_and_merged_ranges(written) -> None:
    _, ws = written
    top = _find_row(ws, "单位编码")
    assert [ws.cell(row=top, column=col).value for col in (1, 2, 3, 6)] == [
        "单位编码",
        "接种单位",
        "剂次",
        "合计",
    ]
    assert [ws.cell(row=top + 1, column=col).value for col in range(3, 8)] == [
        "第1剂", "第2剂", "第3剂", "剂次数", "接种率",
    ]  # fmt: skip
    merged = _merged(ws)
    assert {f"A{top}:A{top + 1}", f"B{top}:B{top + 1}", f"C{top}:E{top}", f"F{top}:G{top}"} <= merged
    for col in range(1, len(COLUMNS) + 1):
        assert ws.cell(row=top + 1, column=col).border.bottom.style == "thin"
    for row, col in [(top, 1), (top, 2), (top, 3), (top, 6), *((top + 1, col) for col in range(3, 8))]:
        assert ws.cell(row=row, column=col).font.b


def test_body_values_formats_and_borders(written) -> None:
    frame, ws = written
    first = _find_row(ws, "单位编码") + 2
    for offset, record in enumerate(frame.to_dict("records")):
        row = first + offset
        assert ws.cell(row=row, column=1).value == record["unit_code"]
        assert ws.cell(row=row, column=3).value == record["dose_1"]
        assert ws.cell(row=row, column=7).value == pytest.approx(record["rate"])
    assert ws.cell(row=first, column=1).number_format == "@"
    for col in range(3, 7):
        assert ws.cell(row=first, column=col).number_format == "#,##0"
    assert ws.cell(row=first, column=7).number_format == "0.00%"
    assert ws.cell(row=first, column=4).border.left.style == "thin"


def test_totals_row_equals_independent_sums(written) -> None:
    frame, ws = written
    row = _find_row(ws, "合计")  # column A: the header's 合计 group sits over columns F:G
    assert ws.cell(row=row, column=1).value == "合计"
    assert f"A{row}:B{row}" in _merged(ws)
    assert row == _find_row(ws, "单位编码") + 2 + len(frame)
    for col, key in zip(range(3, 7), ["dose_1", "dose_2", "dose_3", "doses"], strict=True):
        assert ws.cell(row=row, column=col).value == int(frame[key].sum())
        assert ws.cell(row=row, column=col).font.b
    assert ws.cell(row=row, column=7).value == pytest.approx(frame["doses"].sum() / frame["target"].sum())
    assert ws.cell(row=row, column=7).number_format == "0.00%"


def test_freeze_panes_below_header_right_of_labels(written) -> None:
    _, ws = written
    first_body = _find_row(ws, "单位编码") + 2
    assert ws.freeze_panes == f"C{first_body}"


def test_page_setup_for_printing(written) -> None:
    _, ws = written
    top = _find_row(ws, "单位编码")
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9
    assert int(ws.page_setup.fitToWidth) == 1
    assert int(ws.page_setup.fitToHeight) == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == f"${top}:${top + 1}"
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    assert ws.oddFooter.center.text == "第 &P 页 / 共 &N 页"


def test_column_widths_fit_chinese_text(written) -> None:
    frame, ws = written
    longest_name = max(st.display_width(name) for name in frame["unit_name"])
    assert ws.column_dimensions["B"].width >= longest_name
    assert ws.column_dimensions["A"].width >= st.display_width("单位编码")
    assert st.display_width("西安") == 4 and st.display_width("AB") == 2


def test_footnotes_after_table(written) -> None:
    _, ws = written
    texts = [str(ws.cell(row=row, column=1).value) for row in range(_find_row(ws, "合计", 1), ws.max_row + 1)]
    joined = "\n".join(texts)
    assert (
        "填报单位：西安市疾控中心" in joined and "制表人：李四" in joined and "制表日期：2025-01-06" in joined
    )
    assert "注：剂次数按接种日期统计。" in joined


def test_subtotal_rows_are_bold_and_skipped_by_sum_columns() -> None:
    rows = [{"a": 1}, {"a": 2}, StatementRow({"a": 3}, bold=True), {"a": None}]
    assert sum_columns(rows, ["a"]) == {"a": 3}


def test_caption_rows_span_the_table(tmp_path: Path) -> None:
    statement = Statement(
        title="分段",
        columns=[Column("k", "键"), Column("v", "值", INTEGER), Column("w", "值2", INTEGER)],
        rows=[
            StatementRow(caption="疫苗"),
            {"k": "甲", "v": 1, "w": 2},
            StatementRow(caption="非疫苗类制品"),
        ],
    )
    ws = openpyxl.load_workbook(write_statement(statement, tmp_path / "c.xlsx")).active
    row = _find_row(ws, "疫苗")
    assert f"A{row}:C{row}" in _merged(ws)
    assert ws.cell(row=row, column=1).font.b
    assert ws.cell(row=row + 2, column=1).value == "非疫苗类制品"
    assert sum_columns(statement.rows, ["v"]) == {"v": 1}


def test_missing_values_become_empty_cells(tmp_path: Path) -> None:
    statement = Statement(
        title="测试",
        columns=[Column("k", "键"), Column("v", "值", INTEGER)],
        rows=[
            {"k": "甲", "v": float("nan")},
            {"k": "乙", "v": pd.NA},
            StatementRow({"k": "小计", "v": 5}, bold=True),
        ],
    )
    ws = openpyxl.load_workbook(write_statement(statement, tmp_path / "na.xlsx")).active
    first = _find_row(ws, "甲")
    assert ws.cell(row=first, column=2).value is None
    assert ws.cell(row=first + 1, column=2).value is None
    assert ws.cell(row=first + 2, column=1).font.b


def test_three_level_header(tmp_path: Path) -> None:
    columns = [
        Column("name", "地区"),
        Column("a1", "第1剂", INTEGER, group=("免疫规划", "乙肝")),
        Column("a2", "第2剂", INTEGER, group=("免疫规划", "乙肝")),
        Column("b1", "第1剂", INTEGER, group=("免疫规划", "卡介苗")),
        Column("c", "剂次数", INTEGER, group=("非免疫规划",)),
    ]
    ws = openpyxl.load_workbook(
        write_statement(Statement(title="三层表头", columns=columns, rows=[]), tmp_path / "h3.xlsx")
    ).active
    top = _find_row(ws, "地区")
    assert {
        f"A{top}:A{top + 2}",
        f"B{top}:D{top}",
        f"B{top + 1}:C{top + 1}",
        f"E{top + 1}:E{top + 2}",
    } <= _merged(ws)
    assert ws.cell(row=top + 1, column=4).value == "卡介苗"
    assert ws.print_title_rows == f"${top}:${top + 2}"


def test_invalid_sheet_name_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="工作表名称"):
        write_statement(
            Statement(title="x", columns=[Column("k", "键")], rows=[], sheet_name="a/b"), tmp_path / "x.xlsx"
        )


DETAIL_COLUMNS = [
    ("record_id", "接种记录编号", st.TEXT),
    ("vacc_date", "接种日期", st.DATE),
    ("vaccine_name", "疫苗名称", st.GENERAL),
    ("dose_no", "剂次", INTEGER),
    ("doses", "剂次数", INTEGER),
]


def _detail_rows(count: int):
    start = date(2024, 1, 1)
    for idx in range(count):
        yield {
            "record_id": f"R{idx:08d}",
            "vacc_date": start + timedelta(days=idx % 366),
            "vaccine_name": "乙肝疫苗" if idx % 3 else "麻腮风疫苗",
            "dose_no": idx % 4 + 1,
            "doses": idx % 7,
        }


def test_write_detail_streams_all_rows_with_bounded_memory(tmp_path: Path) -> None:
    count = 50_000
    tracemalloc.start()
    try:
        path = write_detail(
            _detail_rows(count), DETAIL_COLUMNS, tmp_path / "detail.xlsx", "接种明细", filters=FILTERS
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # streaming peaks well under 1 MiB here; a normal-mode workbook of these rows peaks around 80 MiB,
    # so 20 MiB fails if the writer stops streaming and still leaves room for library changes
    assert peak < 20 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"

    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb["明细"]
    rows = ws.iter_rows(values_only=True)
    assert next(rows)[0] == "接种明细"
    assert "地区：西安市" in next(rows)[0]
    assert next(rows) == tuple(label for _key, label, _fmt in DETAIL_COLUMNS)
    data = 0
    doses = 0
    for values in rows:
        data += 1
        doses += values[4]
    assert data == count
    assert doses == sum(idx % 7 for idx in range(count))
    wb.close()


def test_write_detail_print_setup_and_formats(tmp_path: Path) -> None:
    path = write_detail(_detail_rows(10), DETAIL_COLUMNS, tmp_path / "d.xlsx", "接种明细")
    ws = openpyxl.load_workbook(path).active
    assert ws.title == "明细"
    assert "A1:E1" in _merged(ws)
    assert ws["A1"].font.b
    assert [cell.value for cell in ws[2]] == [label for _key, label, _fmt in DETAIL_COLUMNS]
    assert ws.freeze_panes == "A3"
    assert ws.print_title_rows == "$2:$2"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert int(ws.page_setup.fitToWidth) == 1
    assert ws.oddFooter.center.text == "第 &P 页 / 共 &N 页"
    assert ws["B3"].number_format == "yyyy-mm-dd"
    assert ws["D3"].number_format == "#,##0"
    assert ws.max_row == 12


def test_write_detail_spills_to_next_sheet_at_row_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(st, "EXCEL_MAX_ROWS", 10)  # 1 title + 1 header + 8 data rows per sheet
    path = write_detail(_detail_rows(20), DETAIL_COLUMNS, tmp_path / "spill.xlsx", "接种明细")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["明细", "明细(2)", "明细(3)"]
    assert [wb[name].max_row - 2 for name in wb.sheetnames] == [8, 8, 4]
    assert wb["明细(3)"]["A6"].value == "R00000019"


def test_write_detail_accepts_sequences(tmp_path: Path) -> None:
    rows = [("R1", date(2024, 5, 1), "卡介苗", 1, 1)]
    ws = openpyxl.load_workbook(write_detail(rows, DETAIL_COLUMNS, tmp_path / "s.xlsx", "明细")).active
    assert [cell.value for cell in ws[3]][0::2] == ["R1", "卡介苗", 1]
