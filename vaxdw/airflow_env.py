"""The environment Airflow runs in: a project-local AIRFLOW_HOME and this repo's dags/ folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from vaxdw.settings import PROJECT_ROOT, Settings

AIRFLOW_HOME = PROJECT_ROOT / ".airflow"


def airflow_env(settings: Settings, home: Path | None = None) -> dict[str, str]:
    home = home or Path(os.environ.get("AIRFLOW_HOME", AIRFLOW_HOME))
    env = dict(os.environ)
    # `airflow standalone` starts its components as `airflow …` from PATH: put this venv first
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "VAXDW_PGDATA": str(settings.pgdata_dir),
            "VAXDW_OUT_DIR": str(settings.out_dir),
        }
    )
    env.setdefault("AIRFLOW__API__PORT", "8080")
    if settings.source_url and settings.warehouse_url:
        env["VAXDW_SOURCE_URL"] = settings.source_url
        env["VAXDW_WAREHOUSE_URL"] = settings.warehouse_url
    return env


def airflow_bin() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def ensure_airflow_db(env: dict[str, str]) -> None:
    """Create or upgrade Airflow's (SQLite) metadata database once per AIRFLOW_HOME."""
    home = Path(env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    stamp = home / ".migrated"
    if stamp.exists():
        return
    subprocess.run([airflow_bin(), "db", "migrate"], env=env, check=True, capture_output=True, text=True)
    stamp.touch()


def dags_test(env: dict[str, str], dag_id: str = "vaxdw_main") -> subprocess.CompletedProcess:
    """Run a whole DAG in-process through Airflow (``airflow dags test``)."""
    ensure_airflow_db(env)
    return subprocess.run([airflow_bin(), "dags", "test", dag_id], env=env, capture_output=True, text=True)
