"""`make airflow`: airflow standalone starts with the project's DAGs visible through its API."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from vaxdw.airflow_env import airflow_env

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, token: str | None = None) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_standalone_serves_the_main_dag(settings, tmp_path):
    port = _free_port()
    env = airflow_env(settings, home=tmp_path / "airflow")
    env["AIRFLOW__API__PORT"] = str(port)
    vaxdw = str(Path(sys.executable).with_name("vaxdw"))
    proc = subprocess.Popen([vaxdw, "airflow-standalone"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        health = None
        while time.monotonic() < deadline:
            try:
                health = _get(f"{base}/api/v2/monitor/health")
                if health["scheduler"]["status"] == "healthy" and health["dag_processor"]["status"] == "healthy":
                    break
            except OSError:
                pass
            time.sleep(3)
        assert health and health["metadatabase"]["status"] == "healthy", health
        passwords = json.loads((tmp_path / "airflow" / "simple_auth_manager_passwords.json.generated").read_text())
        request = urllib.request.Request(
            f"{base}/auth/token", method="POST", headers={"Content-Type": "application/json"},
            data=json.dumps({"username": "admin", "password": passwords["admin"]}).encode())
        with urllib.request.urlopen(request, timeout=10) as response:
            token = json.load(response)["access_token"]
        dag_ids: list[str] = []
        while time.monotonic() < deadline and "vaxdw_main" not in dag_ids:
            dag_ids = [d["dag_id"] for d in _get(f"{base}/api/v2/dags", token)["dags"]]
            time.sleep(2)
        assert "vaxdw_main" in dag_ids
    finally:
        _stop_tree(proc)


def _stop_tree(proc: subprocess.Popen) -> None:
    """Stop standalone and every component it started (some leave its process group)."""
    import psutil

    family = [proc.pid, *(child.pid for child in psutil.Process(proc.pid).children(recursive=True))]
    for pid in family:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    _, alive = psutil.wait_procs([p for p in map(_process, family) if p], timeout=30)
    for process in alive:
        process.kill()
    proc.wait(timeout=10)


def _process(pid: int):
    import psutil

    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None
