"""产科打印 workbooks: a newborn's card or certificate as an Excel sheet sized to the pre-printed form.

``mode="overlay"`` (套打): only the values, at the configured cells, no borders or labels, margins and column
widths from ``config/print_forms.yaml``, printed at 100 %. ``mode="full"``: a plain-paper print with a title,
labels (the column left of each value) and borders. ``omit`` leaves out any of name / unit_phone / unit_name
(for a second print). :func:`to_pdf` converts with LibreOffice when it is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from vaxdw.reports.obstetric_print import FIELD_LABELS, OMITTABLE, PrintRecord

MODES = ("overlay", "full")
THIN = Side(style="thin")


def write_print(record: PrintRecord, forms: dict, form: str, mode: str, path: str | Path,
                omit: Iterable[str] = ()) -> Path:
    if form not in forms["forms"]:
        raise ValueError(f"表单无效：{form}（可选 {', '.join(forms['forms'])}）")
    if mode not in MODES:
        raise ValueError(f"打印方式无效：{mode}（overlay 套打 / full 全打）")
    omit = set(omit)
    if omit - set(OMITTABLE):
        raise ValueError(f"只能省略：{', '.join(OMITTABLE)}")
    layout = forms["forms"][form]
    book = Workbook()
    sheet = book.active
    sheet.title = layout["title"]
    for column, width in layout["column_widths"].items():
        sheet.column_dimensions[column].width = width
    rows = {coordinate_from_string(cell)[1] for cell in layout["fields"].values()}
    for row in range(1, max(rows) + 2):
        sheet.row_dimensions[row].height = layout["row_height"]
    if mode == "full":
        last = max(column_index_from_string(c) for c in layout["column_widths"])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
        sheet.cell(1, 1, layout["title"]).font = Font(size=16, bold=True)
        sheet.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
    for field, cell in layout["fields"].items():
        value = "" if field in omit else record.values[field]
        target = sheet[cell]
        target.value = value or None
        target.alignment = Alignment(vertical="center", shrink_to_fit=True)
        if mode == "full":
            label = sheet.cell(target.row, target.column - 1, FIELD_LABELS[field])
            label.font = Font(bold=True)
            for item in (label, target):
                item.border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
    margins = layout["margins_inch"]
    sheet.page_margins.left, sheet.page_margins.right = margins["left"], margins["right"]
    sheet.page_margins.top, sheet.page_margins.bottom = margins["top"], margins["bottom"]
    sheet.page_margins.header = sheet.page_margins.footer = 0
    sheet.page_setup.paperSize = layout["paper_size"]
    sheet.page_setup.orientation = layout["orientation"]
    if mode == "overlay":  # values must land on the form's boxes: no scaling
        sheet.page_setup.scale = 100
        sheet.sheet_properties.pageSetUpPr.fitToPage = False
    else:
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 1
    sheet.print_options.gridLines = False
    sheet.sheet_view.showGridLines = mode == "full"
    path = Path(path)
    book.save(path)
    return path


def to_pdf(xlsx: Path, out_dir: Path | None = None) -> Path | None:
    """The PDF next to the workbook via LibreOffice (``soffice``), or None when LibreOffice is absent."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    out_dir = out_dir or xlsx.parent
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(out_dir), str(xlsx)],
                   check=True, capture_output=True, timeout=180)
    return out_dir / f"{xlsx.stem}.pdf"
