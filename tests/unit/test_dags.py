"""Every DAG file imports cleanly through Airflow's own DagBag, and the main DAG is wired as documented."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from vaxdw.airflow_env import airflow_env
from vaxdw.settings import PROJECT_ROOT, get_settings

PROBE = textwrap.dedent(
    """
    import json
    from airflow.dag_processing.dagbag import DagBag
    bag = DagBag(dag_folder=%r)
    dag = bag.dags.get("vaxdw_main")
    print(json.dumps({
        "errors": {k: str(v) for k, v in bag.import_errors.items()},
        "dag_ids": sorted(bag.dag_ids),
        "tasks": [t.task_id for t in dag.topological_sort()] if dag else [],
        "doc": bool(dag and dag.doc_md),
        "tags": sorted(dag.tags) if dag else [],
        "retries": dag.default_args.get("retries") if dag else None,
        "deadline": [d.callback.path for d in (dag.deadline or [])] if dag else [],
        "timeouts": {f"{d.dag_id}.{t.task_id}": t.execution_timeout.total_seconds() if t.execution_timeout else None
                     for d in bag.dags.values() for t in d.tasks},
        "params": {k: v for k, v in dag.params.dump().items()} if dag else {},
    }))
    """
)


def test_every_dag_imports_without_errors(tmp_path):
    env = airflow_env(get_settings(), home=tmp_path / "airflow")
    env.pop("AIRFLOW__CORE__DAGS_FOLDER", None)
    env["VAXDW_AIRFLOW_DEADLINE_ALERTS"] = "true"  # as in docker-compose.yml (scheduler deployments)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE % str(PROJECT_ROOT / "dags")],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    import json

    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["errors"] == {}
    dag_files = [f for f in os.listdir(PROJECT_ROOT / "dags") if f.endswith(".py")]
    assert len(info["dag_ids"]) >= len(dag_files)
    assert info["tasks"] == ["extract_load", "transform", "check_quality", "export_statements"]
    assert info["doc"] and "vaxdw" in info["tags"] and info["retries"] >= 1
    # Airflow 3 Deadline Alert (the SLA replacement) feeds the one alert path
    assert info["deadline"] == ["vaxdw.alerts.airflow_callbacks.on_deadline_missed"]
    assert {"vaxdw_sla_watch", "vaxdw_ops_monthly"} <= set(info["dag_ids"])
    # every task has a time limit; the dbt build's is sized for a province's full refresh (VAXDW_DBT_TIMEOUT_SECONDS)
    settings = get_settings()
    assert info["timeouts"] and all(info["timeouts"].values()), info["timeouts"]
    assert info["timeouts"]["vaxdw_main.transform"] == settings.dbt_timeout_seconds + 600
    assert info["timeouts"]["vaxdw_main.extract_load"] == settings.task_timeout_seconds
    assert info["params"] == {"full_refresh": False}  # the daily run is incremental unless triggered otherwise
