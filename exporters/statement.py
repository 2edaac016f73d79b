"""Generic Excel writer for CDC statements (报表) that staff print.

A `Statement` describes one printed table:

    标题 (merged across the table, bold, large)
    副标题 / 单位行 (optional)
    筛选条件 lines ("地区：西安市　　接种日期：…")
    multi-row header with merged group cells (e.g. "接种剂次数" over 第1剂 … 第n剂)
    body rows (thin borders, number formats per column)
    合计 row (bold; values supplied by the caller, never summed here, because counts of
        persons are not additive)
    footnotes: 填报单位 / 制表人 / 制表日期 line and 注 lines (data definitions)

Print setup: A4 landscape, fit to one page wide, header rows repeated on every page, "第 &P 页 / 共 &N 页"
in the footer, panes frozen below the header and right of the label columns.

`write_detail` streams a large detail export (one header row) with openpyxl's write-only mode, so memory
stays flat however many rows the iterable yields.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

INTEGER = "#,##0"
RATE = "0.00%"
TEXT = "@"
GENERAL = "General"
DATE = "yyyy-mm-dd"

FONT_NAME = "宋体"
PAGE_FOOTER = "第 &P 页 / 共 &N 页"
EXCEL_MAX_ROWS = 1_048_576
_SHEET_NAME_FORBIDDEN = set("[]:*?/\\")
_MIN_WIDTH = 6.0
_MAX_WIDTH = 40.0
_WIDTH_SAMPLE_ROWS = 2000
_LINE_HEIGHT = 15.0

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill(fill_type="solid", start_color="F2F2F2", end_color="F2F2F2")
_TITLE_FONT = Font(name=FONT_NAME, size=16, bold=True)
_SUBTITLE_FONT = Font(name=FONT_NAME, size=11)
_TEXT_FONT = Font(name=FONT_NAME, size=10)
_BOLD_FONT = Font(name=FONT_NAME, size=10, bold=True)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_LEFT_NOWRAP = Alignment(horizontal="left", vertical="center")


@dataclass(frozen=True)
class Column:
    """One table column.

    `group` is the path of group headers above the column's own label, top first: columns next to each
    other that share a group path get one merged group cell ("接种剂次数" over 第1剂 … 第n剂); a column
    with a shorter path has its label merged down to the bottom header row.
    """

    key: str
    label: str
    number_format: str = GENERAL
    group: tuple[str, ...] = ()
    width: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.group, str):
            object.__setattr__(self, "group", (self.group,))


@dataclass(frozen=True)
class StatementRow:
    """A body row with emphasis (e.g. a 小计 row), or a section caption; plain mappings are ordinary rows.

    A row with a `caption` is one bold cell merged across the whole table (e.g. "非疫苗类制品"); its
    `values` are ignored.
    """

    values: Mapping[str, Any] = field(default_factory=dict)
    bold: bool = False
    caption: str | None = None


@dataclass
class Statement:
    """Everything needed to print one statement. Texts are Chinese; keys are the columns' `key`s."""

    title: str
    columns: Sequence[Column]
    rows: Sequence[Mapping[str, Any] | StatementRow]
    sheet_name: str = "报表"
    subtitle: str | None = None
    filters: Mapping[str, str] = field(default_factory=dict)
    totals: Mapping[str, Any] | None = None
    totals_label: str = "合计"
    label_columns: int = 1
    signatures: Mapping[str, str] = field(default_factory=dict)
    notes: Sequence[str] = ()


@dataclass(frozen=True)
class StatementLayout:
    """Where things landed on the sheet (1-based rows), for callers and tests."""

    title_row: int
    header_rows: tuple[int, int]
    first_body_row: int
    totals_row: int | None
    last_row: int


def display_width(value: Any) -> int:
    """Width of a value in Excel character units: CJK (wide/fullwidth) characters count 2."""
    text = value if isinstance(value, str) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return type(value).__name__ in {"NAType", "NaTType"}


def _clean(value: Any) -> Any:
    """Excel has no NaN/NA: write missing values as empty cells; unwrap numpy scalars."""
    if _is_missing(value):
        return None
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        return item()
    return value


def _formatted_width(value: Any, number_format: str) -> int:
    if _is_missing(value):
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        return display_width(value)
    if number_format == RATE:
        return len(f"{value:.2%}")
    if number_format == INTEGER:
        return len(f"{value:,.0f}")
    return len(str(value))


def check_sheet_name(name: str) -> str:
    if not name or len(name) > 31 or _SHEET_NAME_FORBIDDEN & set(name):
        raise ValueError(f"工作表名称无效：{name!r}（不超过31个字符，不能含 []:*?/\\）")
    return name


def _row_values(row: Mapping[str, Any] | StatementRow) -> tuple[Mapping[str, Any], bool]:
    if isinstance(row, StatementRow):
        return row.values, row.bold or row.caption is not None
    return row, False


def _header_depth(columns: Sequence[Column]) -> int:
    return 1 + max((len(col.group) for col in columns), default=0)


def _column_widths(statement: Statement) -> list[float]:
    widths: list[float] = []
    sample = statement.rows[:_WIDTH_SAMPLE_ROWS]
    for col in statement.columns:
        if col.width is not None:
            widths.append(col.width)
            continue
        longest = display_width(col.label)
        for row in sample:
            values, _ = _row_values(row)
            longest = max(longest, _formatted_width(values.get(col.key), col.number_format))
        if statement.totals is not None:
            longest = max(longest, _formatted_width(statement.totals.get(col.key), col.number_format))
        widths.append(min(max(longest + 2.0, _MIN_WIDTH), _MAX_WIDTH))
    return widths


def _pack_lines(pieces: Sequence[str], line_width: float, separator: str = "　　") -> list[str]:
    """Join pieces into as few lines as fit `line_width` characters (a piece is never split)."""
    lines: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{separator}{piece}" if current else piece
        if current and display_width(candidate) > line_width:
            lines.append(current)
            current = piece
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def _full_width_line(
    ws: Worksheet,
    row: int,
    ncols: int,
    text: str,
    font: Font,
    alignment: Alignment,
    height: float | None = None,
) -> None:
    ws.cell(row=row, column=1, value=text).font = font
    ws.cell(row=row, column=1).alignment = alignment
    if ncols > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
    if height is not None:
        ws.row_dimensions[row].height = height


def _write_header(ws: Worksheet, columns: Sequence[Column], top: int) -> int:
    """Write the merged multi-row header starting at row `top`; return the number of header rows."""
    depth = _header_depth(columns)
    ncols = len(columns)
    for level in range(depth):
        idx = 0
        while idx < ncols:
            col = columns[idx]
            row = top + level
            if level < len(col.group):
                path = col.group[: level + 1]
                end = idx
                while (
                    end + 1 < ncols
                    and len(columns[end + 1].group) > level
                    and columns[end + 1].group[: level + 1] == path
                ):
                    end += 1
                ws.cell(row=row, column=idx + 1, value=col.group[level])
                if end > idx:
                    ws.merge_cells(start_row=row, start_column=idx + 1, end_row=row, end_column=end + 1)
                idx = end + 1
            else:
                if level == len(col.group):
                    ws.cell(row=row, column=idx + 1, value=col.label)
                    if depth - 1 > level:
                        ws.merge_cells(
                            start_row=row, start_column=idx + 1, end_row=top + depth - 1, end_column=idx + 1
                        )
                idx += 1
    for row in range(top, top + depth):
        ws.row_dimensions[row].height = 20
        for col_idx in range(1, ncols + 1):
            cell = ws.cell(row=row, column=col_idx)  # merged cells too, so every edge gets a border
            cell.font = _BOLD_FONT
            cell.alignment = _CENTER
            cell.border = _BORDER
            cell.fill = _HEADER_FILL
    return depth


def _write_body_cell(ws: Worksheet, row: int, col_idx: int, col: Column, value: Any, bold: bool) -> None:
    cell = ws.cell(row=row, column=col_idx, value=_clean(value))
    cell.border = _BORDER
    cell.font = _BOLD_FONT if bold else _TEXT_FONT
    if col.number_format != GENERAL:
        cell.number_format = col.number_format
    if isinstance(cell.value, str):
        cell.alignment = _LEFT_NOWRAP
    else:
        cell.alignment = Alignment(vertical="center")


def apply_print_setup(ws: Any, header_rows: tuple[int, int], freeze_cell: str) -> None:
    """A4 landscape, one page wide, header repeated per page, page numbers in the footer, frozen panes.

    Works on normal and write-only worksheets (call before the first row is written in write-only mode).
    """
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = 0.5
    ws.page_margins.bottom = 0.7
    ws.page_margins.footer = 0.3
    ws.print_title_rows = f"{header_rows[0]}:{header_rows[1]}"
    ws.oddFooter.center.text = PAGE_FOOTER
    ws.oddFooter.center.size = 9
    ws.freeze_panes = freeze_cell


def render_statement(ws: Worksheet, statement: Statement) -> StatementLayout:
    """Draw `statement` on an (empty, normal-mode) worksheet."""
    columns = list(statement.columns)
    if not columns:
        raise ValueError("报表至少需要一列")
    if not 0 <= statement.label_columns <= len(columns):
        raise ValueError(f"label_columns={statement.label_columns} 超出列数 {len(columns)}")
    ncols = len(columns)
    widths = _column_widths(statement)
    for idx, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width
    line_width = sum(widths)

    row = 1
    title_row = row
    _full_width_line(ws, row, ncols, statement.title, _TITLE_FONT, _CENTER, height=30)
    row += 1
    if statement.subtitle:
        _full_width_line(ws, row, ncols, statement.subtitle, _SUBTITLE_FONT, _CENTER, height=18)
        row += 1
    filter_pieces = [f"{label}：{value}" for label, value in statement.filters.items()]
    for line in _pack_lines(filter_pieces, line_width):
        _full_width_line(ws, row, ncols, line, _TEXT_FONT, _LEFT, height=18)
        row += 1

    header_top = row
    depth = _write_header(ws, columns, header_top)
    row += depth
    first_body_row = row

    for body_row in statement.rows:
        if isinstance(body_row, StatementRow) and body_row.caption is not None:
            for col_idx in range(1, ncols + 1):
                ws.cell(row=row, column=col_idx).border = _BORDER
            _full_width_line(ws, row, ncols, body_row.caption, _BOLD_FONT, _LEFT_NOWRAP)
            row += 1
            continue
        values, bold = _row_values(body_row)
        for col_idx, col in enumerate(columns, start=1):
            _write_body_cell(ws, row, col_idx, col, values.get(col.key), bold)
        row += 1

    totals_row = None
    if statement.totals is not None:
        totals_row = row
        label_span = max(statement.label_columns, 1)
        for col_idx, col in enumerate(columns, start=1):
            value = statement.totals.get(col.key) if col_idx > label_span else None
            _write_body_cell(ws, row, col_idx, col, value, bold=True)
        label = ws.cell(row=row, column=1, value=statement.totals_label)
        label.alignment = _CENTER
        if label_span > 1:
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=label_span)
        row += 1

    last_table_row = row - 1
    if statement.signatures or statement.notes:
        row += 1  # one blank line between table and footnotes
    if statement.signatures:
        pieces = [f"{label}：{value}" for label, value in statement.signatures.items()]
        for line in _pack_lines(pieces, line_width, separator="　　　　"):
            _full_width_line(ws, row, ncols, line, _TEXT_FONT, _LEFT, height=20)
            row += 1
    if statement.notes:
        # one wrapped cell for all notes: a row never splits across pages, so the notes stay together
        lines = sum(
            max(1, math.ceil(display_width(note) / max(line_width - 2, 1))) for note in statement.notes
        )
        text = "\n".join(statement.notes)
        _full_width_line(ws, row, ncols, text, _TEXT_FONT, _LEFT, height=_LINE_HEIGHT * lines + 3)
        ws.cell(row=row, column=1).alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
        row += 1

    header_rows = (header_top, header_top + depth - 1)
    freeze = f"{get_column_letter(statement.label_columns + 1)}{first_body_row}"
    apply_print_setup(ws, header_rows, freeze)
    ws.print_area = f"A1:{get_column_letter(ncols)}{row - 1}"
    return StatementLayout(
        title_row=title_row,
        header_rows=header_rows,
        first_body_row=first_body_row,
        totals_row=totals_row,
        last_row=last_table_row,
    )


def write_statement(statement: Statement, path: str | Path) -> Path:
    """Write `statement` as a one-sheet workbook at `path` (parent directories are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = check_sheet_name(statement.sheet_name)
    render_statement(ws, statement)
    wb.save(path)
    return path


def sum_columns(rows: Iterable[Mapping[str, Any] | StatementRow], keys: Iterable[str]) -> dict[str, Any]:
    """Column sums over ordinary rows (subtotals and captions are skipped); missing values count 0.

    Only for additive measures (doses); persons must come from a distinct count, never from here.
    """
    keys = list(keys)
    totals: dict[str, Any] = dict.fromkeys(keys, 0)
    for row in rows:
        values, bold = _row_values(row)
        if bold:
            continue
        for key in keys:
            value = values.get(key)
            if not _is_missing(value):
                totals[key] += value
    return totals


# --------------------------------------------------------------------------------------------------
# streaming detail export
# --------------------------------------------------------------------------------------------------

DetailColumn = tuple[str, str, str]  # (key, Chinese label, number format)


def _detail_sheet(
    wb: Workbook, title: str, columns: Sequence[DetailColumn], sheet_name: str, filters: Mapping[str, str]
) -> tuple[Any, int]:
    ws = wb.create_sheet(check_sheet_name(sheet_name))
    ncols = len(columns)
    for idx, (_key, label, number_format) in enumerate(columns, start=1):
        # streaming: widths come from the labels and formats only, never from the data
        width = display_width(label) + 2
        if number_format in {DATE, "yyyy-mm-dd hh:mm:ss"}:
            width = max(width, len(number_format) + 2)
        ws.column_dimensions[get_column_letter(idx)].width = min(max(width, 10.0), _MAX_WIDTH)

    rows_before_header = 1 + (1 if filters else 0)
    header_row = rows_before_header + 1
    apply_print_setup(ws, (header_row, header_row), f"A{header_row + 1}")
    if ncols > 1:
        ws.merged_cells.add(f"A1:{get_column_letter(ncols)}1")
        if filters:
            ws.merged_cells.add(f"A2:{get_column_letter(ncols)}2")

    title_cell = WriteOnlyCell(ws, value=title)
    title_cell.font = _TITLE_FONT
    title_cell.alignment = _CENTER
    ws.row_dimensions[1].height = 30
    ws.append([title_cell])
    if filters:
        line = WriteOnlyCell(ws, value="　　".join(f"{k}：{v}" for k, v in filters.items()))
        line.font = _TEXT_FONT
        line.alignment = _LEFT_NOWRAP
        ws.append([line])
    header = []
    for _key, label, _fmt in columns:
        cell = WriteOnlyCell(ws, value=label)
        cell.font = _BOLD_FONT
        cell.alignment = _CENTER
        cell.border = _BORDER
        cell.fill = _HEADER_FILL
        header.append(cell)
    ws.append(header)
    return ws, header_row


def _detail_values(row: Mapping[str, Any] | Sequence[Any], keys: Sequence[str]) -> Iterator[Any]:
    if isinstance(row, Mapping):
        return (_clean(row.get(key)) for key in keys)
    return (_clean(value) for value in row)


def write_detail(
    rows_iterable: Iterable[Mapping[str, Any] | Sequence[Any]],
    columns: Sequence[DetailColumn],
    path: str | Path,
    title: str,
    *,
    sheet_name: str = "明细",
    filters: Mapping[str, str] | None = None,
) -> Path:
    """Stream a detail export (明细) to `path` with openpyxl write-only mode.

    Rows are mappings keyed by the column keys, or sequences in column order. Memory does not grow with
    the number of rows. A sheet holds at most Excel's 1,048,576 rows; beyond that the rows continue on
    "<sheet_name>(2)", "(3)", … each with the same title and header.
    """
    if not columns:
        raise ValueError("明细至少需要一列")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    filters = dict(filters or {})
    keys = [key for key, _label, _fmt in columns]
    formats = [fmt for _key, _label, fmt in columns]

    wb = Workbook(write_only=True)
    sheet_no = 1
    ws, header_row = _detail_sheet(wb, title, columns, sheet_name, filters)
    room = EXCEL_MAX_ROWS - header_row
    for row in rows_iterable:
        if room == 0:
            sheet_no += 1
            ws, header_row = _detail_sheet(wb, title, columns, f"{sheet_name[:26]}({sheet_no})", filters)
            room = EXCEL_MAX_ROWS - header_row
        out: list[Any] = []
        for value, fmt in zip(_detail_values(row, keys), formats, strict=True):
            if fmt != GENERAL and value is not None:
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = fmt
                out.append(cell)
            else:
                out.append(value)
        ws.append(out)
        room -= 1
    wb.save(path)
    return path
