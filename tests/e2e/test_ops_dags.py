"""The backup and restore-verification DAGs run through Airflow (`airflow dags test`) against a small
loaded warehouse and leave their records. (The inspection and monthly-report DAGs call functions tested in
tests/integration/test_operations.py and import in tests/unit/test_dags.py; running them through Airflow
too would double this test's ~1 minute.)"""

from __future__ import annotations

import pytest

from vaxdw.airflow_env import airflow_env, dags_test
from vaxdw.db import connect, parse_url
from vaxdw.extract_load import load_all
from vaxdw.simulator import generate

pytestmark = pytest.mark.e2e


def test_ops_dags_through_airflow(settings, tmp_path):
    source, warehouse = parse_url(settings.source_url), parse_url(settings.warehouse_url)
    generate(source, scale="tiny", seed=31, children=200)
    load_all(source, warehouse, pipeline_run_id="ops-dags")
    env = airflow_env(settings, home=tmp_path / "airflow")
    env["VAXDW_BACKUP_DIR"] = str(tmp_path / "backups")
    for dag_id in ("vaxdw_backup", "vaxdw_restore_verify"):
        proc = dags_test(env, dag_id)
        assert proc.returncode == 0, (dag_id, (proc.stdout + proc.stderr)[-4000:])
    with connect(warehouse) as conn:
        backups = conn.execute("select kind, status from monitor.backup_run").fetchall()
        checks = conn.execute("select ok, tables_compared from monitor.restore_check").fetchall()
    assert backups == [("full", "succeeded")]
    assert len(checks) == 1 and checks[0][0] and checks[0][1] > 10
    assert (tmp_path / "backups").is_dir()
