"""docker-compose.yml cannot run here (no Docker engine); check that it parses and is wired."""

import re

import yaml

from vaxdw.settings import PROJECT_ROOT


def _services() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())["services"]


def test_compose_services_share_the_warehouse_and_dags():
    services = _services()
    airflow = [name for name in services if name.startswith("airflow-")]
    assert {"airflow-scheduler", "airflow-apiserver", "airflow-dag-processor", "airflow-init"} <= set(airflow)
    for name in airflow:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/vaxdw/dags"
        assert "@warehouse:5432/vaxdw_warehouse" in env["VAXDW_WAREHOUSE_URL"]
        assert "warehouse" in services[name]["depends_on"]
    # secrets are required from the environment, never written in the file
    text = (PROJECT_ROOT / "docker-compose.yml").read_text()
    assert "PASSWORD:?" in text and "password=" not in text.lower()


def test_celery_workers_with_redis_are_wired_and_scalable():
    services = _services()
    redis = services["redis"]
    assert re.fullmatch(r"redis:\d+\.\d+\.\d+", redis["image"])
    assert "redis-cli" in redis["healthcheck"]["test"] and "--requirepass" in redis["command"]
    assert re.fullmatch(r"postgres:\d+\.\d+", services["warehouse"]["image"])
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
                 "airflow-worker"):
        service = services[name]
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert re.fullmatch(r"redis://:\$\{REDIS_PASSWORD:\?[^}]*\}@redis:6379/0", env["AIRFLOW__CELERY__BROKER_URL"])
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://airflow:")
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["depends_on"]["warehouse"]["condition"] == "service_healthy"
        assert service["healthcheck"]["test"], name
    worker = services["airflow-worker"]
    assert worker["command"] == ["airflow", "celery", "worker"]
    assert worker["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"
    assert "celery_executor.app inspect ping" in " ".join(worker["healthcheck"]["test"])
    # scalable: no fixed container name or host port on the worker
    assert "container_name" not in worker and "ports" not in worker
    assert "jobs check --job-type TriggererJob" in " ".join(services["airflow-triggerer"]["healthcheck"]["test"])
    assert "apache-airflow-providers-celery==" in services["airflow-worker"]["build"]["dockerfile_inline"]
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "docker compose up -d --scale airflow-worker=N" in readme


def test_superset_runs_from_its_lock_file_with_assets_and_access():
    services = _services()
    superset = services["superset"]
    build = superset["build"]["dockerfile_inline"]
    assert "requirements-superset.lock" in build and ".venv-superset" in build
    assert "vaxdw superset up" in " ".join(superset["command"])
    env = superset["environment"]
    assert env["VAXDW_SUPERSET_ADMIN_PASSWORD"].startswith("${VAXDW_SUPERSET_ADMIN_PASSWORD:?")
    assert env["VAXDW_SUPERSET_HOST"] == "0.0.0.0" and env["VAXDW_SUPERSET_PORT"] == "8088"
    assert "@warehouse:5432/vaxdw_warehouse" in env["VAXDW_WAREHOUSE_URL"]
    assert superset["depends_on"]["warehouse"]["condition"] == "service_healthy"
    assert "/health" in " ".join(superset["healthcheck"]["test"])
    assert superset["ports"] == ["127.0.0.1:8088:8088"]
    assert "superset-home" in yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())["volumes"]
