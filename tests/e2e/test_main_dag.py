"""End to end: the main DAG runs through Airflow (`airflow dags test`) on a tiny generated province.

Checks what a user sees: the run succeeds, every load reconciles, the GE results are stored, and the
Excel statement opens with the expected header and totals equal to an independent computation over raw.
"""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from tests.reference import countable_doses
from vaxdw import pipeline
from vaxdw.airflow_env import airflow_env, dags_test
from vaxdw.db import connect, parse_url
from vaxdw.simulator import generate

pytestmark = pytest.mark.e2e


def _find_row(sheet, text: str) -> int:
    for row in sheet.iter_rows(min_col=1, max_col=1):
        if row[0].value == text:
            return row[0].row
    raise AssertionError(f"no row labelled {text!r}")


def test_main_dag_through_airflow(settings, tmp_path):
    source, warehouse = parse_url(settings.source_url), parse_url(settings.warehouse_url)
    generate(source, scale="tiny", seed=11)

    proc = dags_test(airflow_env(settings, home=tmp_path / "airflow"))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]

    run_id = pipeline.latest_run_id(warehouse)
    with connect(warehouse) as conn:
        steps = {row[0] for row in conn.execute(
            "select step from control.pipeline_step where pipeline_run_id = %s", (run_id,))}
        loads = conn.execute(
            "select table_name, rows_read, rows_loaded, rows_quarantined from control.load "
            "where pipeline_run_id = %s and status = 'succeeded'", (run_id,)).fetchall()
        quarantined = conn.execute("select count(*) from control.quarantine").fetchone()[0]
        check_results = conn.execute(
            "select count(*), count(*) filter (where not success) from dq.check_result r "
            "join dq.check_run c using (run_id) where c.label = %s", (run_id,)).fetchone()
        failed_rows = conn.execute("select count(*) from dq.failed_row").fetchone()[0]
    assert steps == {"extract_load", "transform", "check_quality", "export_statements"}
    assert {name for name, *_ in loads} >= {"region", "unit", "recipient", "vaccination"}
    assert all(read == loaded + quar for _, read, loaded, quar in loads)
    assert sum(quar for *_, quar in loads) == quarantined > 0  # the generator injects unparseable values
    assert check_results[0] >= 4 and check_results[1] >= 1 and failed_rows > 0  # injected faults are found

    summary = pipeline.summary(warehouse, run_id)
    assert "vaccination" in summary and "Statements written" in summary

    for stock_statement in ("下级库存统计表", "疫苗盘点数据表", "出入库账簿", "采购合同履约情况表", "冷链设备档案表", "疫苗价格表"):
        assert len(list(settings.out_dir.glob(f"{stock_statement}_6100000001*.xlsx"))) == 1, stock_statement

    files = sorted((settings.out_dir).glob("实种情况统计表_county_*.xlsx"))
    assert len(files) == 1
    date_from, date_to = (date.fromisoformat(f"{d[:4]}-{d[4:6]}-{d[6:]}") for d in files[0].stem.split("_")[-2:])
    sheet = openpyxl.load_workbook(files[0]).worksheets[0]
    assert sheet["A1"].value == "实种情况统计表"
    header_texts = {cell.value for row in sheet.iter_rows(max_row=8) for cell in row if cell.value}
    assert {"地区", "疫苗", "生产企业", "接种剂次数", "第1剂", "剂次数", "人数"} <= header_texts
    total_row = _find_row(sheet, "合计")
    total_doses = sheet.cell(total_row, sheet.max_column - 1).value
    total_persons = sheet.cell(total_row, sheet.max_column).value

    doses = countable_doses(warehouse)
    in_period = doses[(doses["vaccination_date"] >= date_from) & (doses["vaccination_date"] <= date_to)]
    assert total_doses == len(in_period) > 0
    assert total_persons == in_period["recipient_id"].nunique()
