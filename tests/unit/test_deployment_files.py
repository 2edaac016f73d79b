"""docker-compose.yml cannot run here (no Docker engine); check that it parses and is wired."""

import yaml

from vaxdw.settings import PROJECT_ROOT


def test_compose_services_share_the_warehouse_and_dags():
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
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
