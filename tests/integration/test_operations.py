"""Operations on a tiny province after a real pipeline run (load → dbt build → GE checks):

- the metrics endpoint serves the named pipeline and PostgreSQL metrics with values equal to an
  independent SQL computation, and a real Prometheus scrapes it and loads the alert rules;
- Alertmanager's webhook feeds the one alert path;
- backup (the documented commands) → new loads → incremental → destroy → restore → checksums equal;
  a corrupted backup fails verification, which is recorded, exported and alerted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
import psycopg
import pytest

from vaxdw import backup, pipeline
from vaxdw.backup.logical import latest_chain, table_fingerprint, tables_of
from vaxdw.contract import tables as contract_tables
from vaxdw.db import connect
from vaxdw.monitoring.server import handle_alertmanager, make_server
from vaxdw.security.service_roles import apply_service_roles, create_service_login, superuser_in_use
from vaxdw.settings import PROJECT_ROOT, get_settings
from vaxdw.simulator import generate
from vaxdw.simulator.changes import simulate_changes

VENV_BIN = Path(os.sys.executable).parent
BACKED_UP = ("raw", "control", "dq", "curated", "monitor", "audit")


@pytest.fixture(scope="module")
def world(pg_admin, tmp_path_factory):
    base = tmp_path_factory.mktemp("ops")
    dbs = {}
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        for name in ("src_ops", "wh_ops"):
            conn.execute(f'drop database if exists "{name}" with (force)')
            conn.execute(f'create database "{name}"')
            dbs[name] = replace(pg_admin, dbname=name)
    source, warehouse = dbs["src_ops"], dbs["wh_ops"]
    # the pipeline runs as the least-privilege service logins (loader, transformer, quality)
    apply_service_roles(warehouse)
    logins = {}
    for service in ("loader", "transformer", "quality"):
        create_service_login(warehouse, f"svc_{service}_ops", f"vaxdw_{service}")
        logins[service] = replace(warehouse, user=f"svc_{service}_ops", password="")
    settings = replace(get_settings(), source_url=source.url, warehouse_url=warehouse.url,
                       loader_url=logins["loader"].url, transformer_url=logins["transformer"].url,
                       quality_url=logins["quality"].url, out_dir=base / "out", backup_dir=base / "backups")
    generate(source, scale="tiny", seed=23)
    pipeline.extract_load("ops-run-1", settings)
    coldchain = _seed_coldchain(warehouse)
    pipeline.transform("ops-run-1", settings)
    pipeline.check_quality("ops-run-1", settings)
    server = make_server(warehouse, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"source": source, "warehouse": warehouse, "settings": settings, "admin": pg_admin, "base": base,
           "coldchain": coldchain, "logins": logins,
           "metrics_url": f"http://127.0.0.1:{server.server_address[1]}"}
    server.shutdown()
    server.server_close()


COLDCHAIN_DDL = """
create table raw.coldchain_device (vendor text not null, device_id text not null, unit_id text, device_name text,
    device_type text, min_c numeric, max_c numeric, expected_interval_minutes integer, _load_id bigint not null,
    _loaded_at timestamptz not null default now());
create table raw.coldchain_reading (vendor text not null, device_id text not null, measured_at timestamptz not null,
    temperature_c numeric(6, 2) not null, uploaded_at timestamptz, _load_id bigint not null,
    _loaded_at timestamptz not null default now());
"""
# device -> (unit slot, temperatures every 10 minutes from 08:00); the range is 2–8 ℃, alerts from 30 minutes
COLDCHAIN_DEVICES = {
    "CC-1": (0, [5.0] * 12 + [9.5] * 6),  # excursion still going on, 50 min: open and alerting
    "CC-2": (0, [5.0] * 3 + [1.0] * 4 + [5.0] * 11),  # 40-minute excursion, back in range: closed, alerting
    "CC-3": (1, [5.0] * 6),  # silent for the last 120 minutes: stopped reporting
    "CC-4": (1, [5.0] * 16 + [9.0] * 2),  # excursion going on for 10 minutes: open, not yet alerting
    "CC-5": (1, []),  # listed by the vendor, never reported: stopped
}


def _seed_coldchain(warehouse) -> dict:
    """A vendor feed's devices and readings in raw (as vaxdw.exchange.coldchain lands them), before dbt builds
    the cold-chain marts; returns device -> unit for the expected values."""
    from datetime import datetime, timedelta, timezone

    start = datetime(2026, 11, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    with connect(warehouse) as conn:
        conn.execute(COLDCHAIN_DDL)
        units = [row[0] for row in conn.execute(
            "select unit_id from (select distinct on (left(county_code, 4)) unit_id, county_code from raw.unit "
            "order by left(county_code, 4), unit_id) as u order by county_code desc limit 2")]
        units = (units * 2)[:2]
        device_unit = {}
        for device, (slot, temperatures) in COLDCHAIN_DEVICES.items():
            device_unit[device] = units[slot]
            conn.execute("insert into raw.coldchain_device values ('vendor_a', %s, %s, %s, 'refrigerator', 2, 8, "
                         "10, 1)", (device, units[slot], f"冷藏箱 {device}"))
            for i, temperature in enumerate(temperatures):
                at = start + timedelta(minutes=10 * i)
                conn.execute("insert into raw.coldchain_reading values ('vendor_a', %s, %s, %s, %s, 1)",
                             (device, at, temperature, at + timedelta(minutes=2)))
    return device_unit


def _scrape(url: str) -> dict[tuple[str, frozenset], float]:
    samples = {}
    for line in httpx.get(url + "/metrics", timeout=30).text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        assert match, line
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        samples[(match.group(1), labels)] = float(match.group(3))
    return samples


def _get(samples, name, **labels):
    return samples[(name, frozenset((k, str(v)) for k, v in labels.items()))]


def test_pipeline_ran_as_the_service_logins(world):
    """load → dbt build → GE checkpoint above connected as three least-privilege logins."""
    logins = world["logins"]
    with connect(world["warehouse"]) as conn:
        owners = dict(conn.execute(  # tables and views (fct_vaccinations is a view over int_vaccinations)
            "select n.nspname || '.' || c.relname, pg_get_userbyid(c.relowner) from pg_class as c "
            "join pg_namespace as n on n.oid = c.relnamespace where c.relkind in ('r', 'v') and n.nspname || '.' "
            "|| c.relname in ('raw.vaccination', 'control.load', 'marts.fct_vaccinations', 'dq.check_run')").fetchall())
        checked = conn.execute("select count(*) filter (where rows_checked > 0), count(*) from dq.check_result "
                               "where table_name in ('dim_recipients', 'fct_vaccinations')").fetchone()
    # what each service created belongs to its group role, not to a superuser or to the login
    assert owners == {"raw.vaccination": "vaxdw_loader", "control.load": "vaxdw_loader",
                      "marts.fct_vaccinations": "vaxdw_transformer", "dq.check_run": "vaxdw_quality"}
    assert checked[0] == checked[1] > 0  # the checks saw the rows (no row-level security hid them)
    assert not any(superuser_in_use(params) for params in logins.values())

    def refused(login, statement: str) -> bool:
        try:
            with connect(login) as conn:
                conn.execute(statement)
            return False
        except psycopg.errors.InsufficientPrivilege:
            return True

    assert refused(logins["loader"], "select * from marts.fct_vaccinations limit 1")
    assert refused(logins["quality"], "delete from raw.vaccination")
    assert refused(logins["quality"], "delete from audit.event_log")  # the audit trail is append-only for it
    assert refused(logins["transformer"], "delete from raw.vaccination")


def test_metrics_endpoint_serves_real_values(world):
    samples = _scrape(world["metrics_url"])
    with connect(world["warehouse"]) as conn:
        raw_rows = conn.execute("select count(*) from raw.vaccination").fetchone()[0]
        quarantined = dict(conn.execute(
            "select table_name, count(*) from control.quarantine group by 1").fetchall())
        results = conn.execute(
            "select rule_id, table_name, severity, rows_failed from dq.check_result "
            "where run_id = (select max(run_id) from dq.check_run)").fetchall()
        db_size = conn.execute("select pg_database_size(current_database())").fetchone()[0]
    assert _get(samples, "vaxdw_load_rows_loaded_total", table="vaccination") == raw_rows > 0
    for table, count in quarantined.items():
        assert _get(samples, "vaxdw_load_rows_quarantined_total", table=table) == count
    assert sum(quarantined.values()) > 0
    assert results and all(
        _get(samples, "vaxdw_dq_failed_rows", rule_id=r, table=t, severity=s) == n for r, t, s, n in results)
    assert 0 <= _get(samples, "vaxdw_mart_freshness_seconds", mart="rpt_shizhong") < 3600
    assert _get(samples, "vaxdw_mart_last_build_timestamp_seconds", mart="fct_vaccinations") > 1.7e9
    assert _get(samples, "vaxdw_pg_database_size_bytes", datname="wh_ops") == pytest.approx(db_size, rel=0.2)
    assert 0 <= _get(samples, "vaxdw_pg_cache_hit_ratio") <= 1
    assert sum(v for (name, _), v in samples.items() if name == "vaxdw_pg_connections") >= 1
    assert _get(samples, "vaxdw_pg_up") == 1
    assert ("vaxdw_pg_locks_waiting", frozenset()) in samples
    assert _get(samples, "vaxdw_pg_stat_statements_available") in (0, 1)
    assert not any(name.startswith("vaxdw_exchange") for name, _ in samples)  # guarded: table absent here

    # cold chain, per city, from the designed feed (expected values written from the design, not the marts)
    with connect(world["warehouse"]) as conn:
        city = dict(conn.execute("select unit_id, city_name from marts.dim_unit").fetchall())
    expected: dict[str, dict[str, int]] = {}
    design = {"CC-1": (1, 1, 1, 0), "CC-2": (0, 0, 1, 0), "CC-3": (0, 0, 0, 1), "CC-4": (1, 0, 0, 0),
              "CC-5": (0, 0, 0, 1)}  # open, open and alerting, alerting in the window, not reporting
    for device, unit in world["coldchain"].items():
        counts = expected.setdefault(city[unit], {"devices": 0, "open": 0, "open_alerts": 0, "alerts": 0,
                                                  "silent": 0})
        for key, value in zip(("open", "open_alerts", "alerts", "silent"), design[device], strict=True):
            counts[key] += value
        counts["devices"] += 1
    for city_name, counts in expected.items():
        assert _get(samples, "vaxdw_coldchain_devices", city=city_name) == counts["devices"]
        assert _get(samples, "vaxdw_coldchain_open_excursions", city=city_name) == counts["open"]
        assert _get(samples, "vaxdw_coldchain_open_excursion_alerts", city=city_name) == counts["open_alerts"]
        assert _get(samples, "vaxdw_coldchain_alert_excursions", city=city_name) == counts["alerts"]
        assert _get(samples, "vaxdw_coldchain_devices_not_reporting", city=city_name) == counts["silent"]
    assert sum(c["open"] for c in expected.values()) == 2 and sum(c["silent"] for c in expected.values()) == 2
    assert _get(samples, "vaxdw_coldchain_last_reading_timestamp_seconds") == 1793491200 + 170 * 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(not shutil.which("prometheus"), reason="prometheus not installed (apt-get install prometheus)")
def test_real_prometheus_scrapes_the_exporter_and_loads_the_rules(world, tmp_path):
    target = world["metrics_url"].removeprefix("http://")
    rules = PROJECT_ROOT / "ops" / "prometheus" / "rules" / "vaxdw.yml"
    config = tmp_path / "prometheus.yml"
    config.write_text(
        f"global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nrule_files: [{rules}]\n"
        f"scrape_configs:\n  - job_name: vaxdw\n    static_configs: [{{targets: ['{target}']}}]\n")
    port = _free_port()
    proc = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        api = f"http://127.0.0.1:{port}/api/v1"
        result = []
        for _ in range(120):  # until the first scrape lands (typically 2–3 s); not a timing assertion
            try:
                result = httpx.get(f"{api}/query", params={
                    "query": 'vaxdw_load_rows_loaded_total{table="vaccination"}'}, timeout=5).json()["data"]["result"]
            except (httpx.HTTPError, ValueError, KeyError):  # not ready yet ("Service Unavailable")
                result = []
            if result:
                break
            time.sleep(0.5)
        assert result, "Prometheus never scraped the exporter"
        with connect(world["warehouse"]) as conn:
            raw_rows = conn.execute("select count(*) from raw.vaccination").fetchone()[0]
        assert float(result[0]["value"][1]) == raw_rows
        groups = httpx.get(f"{api}/rules", timeout=5).json()["data"]["groups"]
        assert {g["name"] for g in groups} == {"vaxdw-pipeline", "vaxdw-backup", "vaxdw-postgres"}
        assert all(r["health"] != "err" for g in groups for r in g["rules"])
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_alertmanager_webhook_feeds_the_alert_path(world):
    payload = {"alerts": [{"status": "firing", "labels": {"alertname": "VaxdwMartStale", "severity": "warning",
                                                         "mart": "rpt_shizhong"},
                           "annotations": {"summary_zh": "集市表 rpt_shizhong 超过 36 小时未更新"}}]}
    response = httpx.post(world["metrics_url"] + "/alertmanager", json=payload, timeout=30)
    assert response.status_code == 200
    key = "prometheus:VaxdwMartStale:mart=rpt_shizhong"
    with connect(world["warehouse"]) as conn:
        row = conn.execute("select severity, message_zh, resolved_at from monitor.alert_event "
                           "where alert_key = %s", (key,)).fetchone()
    assert row == ("warning", "集市表 rpt_shizhong 超过 36 小时未更新", None)
    payload["alerts"][0]["status"] = "resolved"
    assert handle_alertmanager(world["warehouse"], payload) == 1
    with connect(world["warehouse"]) as conn:
        assert conn.execute("select resolved_at is not null from monitor.alert_event where alert_key = %s",
                            (key,)).fetchone()[0]
    assert _get(_scrape(world["metrics_url"]), "vaxdw_alerts_open", severity="warning") == 0


def _documented(name: str) -> str:
    text = (PROJECT_ROOT / "docs" / "operations.md").read_text()
    match = re.search(rf"<!-- test: {name} -->\s*```bash\n(.*?)```", text, re.S)
    assert match, f"no documented block {name}"
    return match.group(1)


def _run_documented(world, name: str, **extra_env) -> subprocess.CompletedProcess:
    settings = world["settings"]
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}", PYTHONPATH=str(PROJECT_ROOT),
               VAXDW_SOURCE_URL=settings.source_url, VAXDW_WAREHOUSE_URL=settings.warehouse_url,
               VAXDW_BACKUP_DIR=str(settings.backup_dir), **extra_env)
    return subprocess.run(["bash", "-euo", "pipefail", "-c", _documented(name)], env=env, capture_output=True,
                          text=True, timeout=600)


def _fingerprints(params) -> dict:
    with connect(params) as conn:
        return {t: table_fingerprint(conn, t) for t in tables_of(conn, BACKED_UP)}


def _current_versions(params) -> dict:
    """Per raw table, the (count, sum of load ids) of the versions marked current (vaxdw.extract_load.current):
    the fingerprints leave the flag out, the restore ranks it again."""
    with connect(params) as conn:
        return {t.name: conn.execute(f"select count(*), sum(_load_id) from raw.{t.name} where _is_current")
                .fetchone() for t in contract_tables()}


def test_backup_new_loads_incremental_destroy_restore(world):
    settings, warehouse = world["settings"], world["warehouse"]
    proc = _run_documented(world, "backup")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "full backup" in proc.stdout and "incremental backup" in proc.stdout

    # the province keeps working: a day of changes is loaded and checked, then an incremental is taken
    simulate_changes(world["source"], seed=23, updates=40, new_children=15)
    pipeline.extract_load("ops-run-2", settings)
    pipeline.check_quality("ops-run-2", settings)
    incr = backup.incremental_backup(warehouse, settings)
    chain = latest_chain(settings.backup_dir)
    assert [m["kind"] for m in chain] == ["full", "incr", "incr"] and chain[-1]["backup_id"] == incr.backup_id
    assert sum(len(Path(chain[-1]["path"], f).read_bytes()) for f in chain[-1]["raw_increments"].values()) > 0

    before = _fingerprints(warehouse)
    current_before = _current_versions(warehouse)
    assert {t: before[t] for t in incr.tables if t in before and not t.startswith("monitor.")} == {
        t: v for t, v in incr.tables.items() if not t.startswith("monitor.")}

    proc = _run_documented(world, "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1])["ok"] is True

    # destroy what cannot be rebuilt, then restore (documented procedure) into a new database
    with connect(warehouse) as conn:
        conn.execute("drop schema raw cascade")
        conn.execute("truncate control.load, control.quarantine")
    with psycopg.connect(world["admin"].url, autocommit=True) as conn:
        conn.execute('drop database if exists "wh_ops_restored" with (force)')
        conn.execute('create database "wh_ops_restored"')
    restored = replace(world["admin"], dbname="wh_ops_restored")
    proc = _run_documented(world, "restore", RESTORE_URL=restored.url)
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = _fingerprints(restored)
    non_monitor = {t: v for t, v in before.items() if not t.startswith("monitor.")}
    assert {t: after.get(t) for t in non_monitor} == non_monitor
    assert after["raw.vaccination"]["rows"] > 0
    assert _current_versions(restored) == current_before

    # and the damaged warehouse itself is recovered the same way (its marts schemas are left as they were)
    with connect(warehouse) as conn:
        for schema in BACKED_UP:
            conn.execute(f"drop schema if exists {schema} cascade")
    proc = _run_documented(world, "restore", RESTORE_URL=warehouse.url)
    assert proc.returncode == 0, proc.stderr[-3000:]
    recovered = _fingerprints(warehouse)
    assert {t: recovered.get(t) for t in non_monitor} == non_monitor


def test_corrupted_backup_fails_verification_and_alerts(world):
    settings, warehouse = world["settings"], world["warehouse"]
    # verification restores from the backup files alone (the warehouse was damaged above)
    chain = latest_chain(settings.backup_dir)
    copy_file = next(Path(chain[-1]["path"], f) for t, f in chain[-1]["raw_increments"].items()
                     if t == "raw.vaccination")
    lines = copy_file.read_bytes().splitlines(keepends=True)
    assert lines
    copy_file.write_bytes(b"".join(lines[:-1]))  # a lost row
    result = backup.verify_latest(warehouse, settings)
    assert not result.ok
    assert [m["table"] for m in result.mismatches] == ["raw.vaccination"]
    assert result.mismatches[0]["restored"]["rows"] == result.mismatches[0]["expected"]["rows"] - 1
    with connect(warehouse) as conn:
        alert = conn.execute("select severity, message_zh from monitor.alert_event "
                             "where alert_key = 'backup:restore_verify' and resolved_at is null").fetchone()
    assert alert[0] == "critical" and "备份恢复校验失败" in alert[1]
    samples = _scrape(world["metrics_url"])
    assert _get(samples, "vaxdw_restore_verify_ok") == 0
    assert _get(samples, "vaxdw_backup_last_success_timestamp_seconds", kind="incr") > 1.7e9


@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool not installed (apt-get install prometheus)")
def test_promtool_checks_and_unit_tests_the_rules():
    prom = PROJECT_ROOT / "ops" / "prometheus"
    check = subprocess.run(["promtool", "check", "rules", "rules/vaxdw.yml"], cwd=prom, capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    unit = subprocess.run(["promtool", "test", "rules", "rules_test.yml"], cwd=prom, capture_output=True, text=True)
    assert unit.returncode == 0, unit.stdout + unit.stderr
    config = subprocess.run(["promtool", "check", "config", "--syntax-only", "prometheus.yml"], cwd=prom,
                            capture_output=True, text=True)
    assert config.returncode == 0, config.stdout + config.stderr


def test_inspection_projects_capacity_records_and_alerts(world):
    from datetime import timedelta

    from openpyxl import load_workbook

    from vaxdw import clock
    from vaxdw.inspection import Thresholds, run_inspection

    settings, warehouse = world["settings"], world["warehouse"]
    now = clock.now()  # real time: the findings compare with backups stamped by the database's now()
    with connect(warehouse) as conn:
        size = conn.execute("select pg_database_size(current_database())").fetchone()[0]
        conn.execute("create schema if not exists monitor")
    # two weeks of history, growing 50 MiB a day (inserted before the first run creates the table)
    run_inspection(warehouse, settings, alert=False, now=now - timedelta(days=14))
    with connect(warehouse) as conn:
        conn.execute("delete from monitor.inspection")
        for days_ago, grown in ((14, 0), (7, 350)):
            conn.execute("insert into monitor.inspection (inspected_at, database_size_bytes) values (%s, %s)",
                         (now - timedelta(days=days_ago), size - (700 - grown) * 2**20))
    result = run_inspection(warehouse, settings, thresholds=Thresholds(disk_percent=0.0), now=now)

    xs = [0.0, 7.0, 14.0]
    ys = [size - 700 * 2**20, size - 350 * 2**20, result.measures["database_size_bytes"]]
    mean_x, mean_y = sum(xs) / 3, sum(ys) / 3
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum((x - mean_x) ** 2 for x in xs)
    assert result.projection.growth_bytes_per_day == pytest.approx(slope, rel=1e-6)
    free = result.measures["disk_total_bytes"] - result.measures["disk_used_bytes"]
    expected = (now + timedelta(days=free / slope)).date().isoformat()
    assert result.projection.exhaustion_date == expected

    codes = {f.code for f in result.findings}
    assert "disk" in codes  # threshold 0 %: always past it
    assert "restore_failed" in codes  # the corrupted backup above
    assert "backup_missing" not in codes  # a full backup was taken this session
    wb = load_workbook(result.report_path)
    assert wb.sheetnames == ["概要", "发现", "容量"]
    assert any(row[2] and "磁盘使用率" in str(row[2]) for row in wb["发现"].iter_rows(values_only=True))
    assert wb["容量"]["B3"].value == expected
    with connect(warehouse) as conn:
        alert = conn.execute("select severity from monitor.alert_event where alert_key = 'inspection:disk' "
                             "and resolved_at is null").fetchone()
    assert alert == ("critical",)

    run_inspection(warehouse, settings, now=now + timedelta(minutes=1))  # default thresholds: disk resolves
    with connect(warehouse) as conn:
        assert conn.execute("select count(*) from monitor.alert_event where alert_key = 'inspection:disk' "
                            "and resolved_at is null").fetchone()[0] == 0


def test_monthly_ops_report_has_its_sections_and_charts(world):
    from openpyxl import load_workbook

    from vaxdw.opsreport import collect_month, write_monthly

    warehouse = world["warehouse"]
    with connect(warehouse) as conn:  # the month the world's pipeline ran in (its events carry real time)
        ran = conn.execute("select min(started_at) at time zone 'Asia/Shanghai' from control.load "
                           "where pipeline_run_id = 'ops-run-1'").fetchone()[0]
    path = write_monthly(warehouse, world["settings"].out_dir, ran.year, ran.month)
    wb = load_workbook(path)
    assert {"概要", "管道运行", "数据量", "质量检查", "数据交换", "告警", "备份", "恢复校验", "巡检"} <= set(wb.sheetnames)
    assert len(wb["管道运行"]._charts) == 1 and len(wb["数据量"]._charts) == 1 and len(wb["告警"]._charts) == 1
    summary = {row[0]: row[1] for row in wb["概要"].iter_rows(min_row=2, values_only=True)}

    report = collect_month(warehouse, ran.year, ran.month)
    assert summary["管道运行次数"] == len(report.sections["管道运行"]) == 2  # ops-run-1, ops-run-2
    assert list(report.sections["管道运行"]["结果"]) == [  # these runs were driven step by step, not the DAG
        "未完成：缺 export_statements", "未完成：缺 transform、export_statements"]
    assert summary["失败或未完成运行"] == 2
    with connect(warehouse) as conn:
        loaded = conn.execute("select sum(rows_loaded), sum(rows_quarantined) from control.load").fetchone()
        alerts = conn.execute("select count(*), count(resolved_at) from monitor.alert_event").fetchone()
        backups = conn.execute("select count(*) from monitor.backup_run").fetchone()[0]
    assert (summary["告警发生"], summary["告警已恢复"]) == alerts
    assert summary["备份次数"] == backups >= 3
    with connect(warehouse) as conn:  # the recovery above reset monitor.* to the backup's snapshot
        checks = conn.execute("select count(*), count(*) filter (where not ok) from monitor.restore_check").fetchone()
    assert summary["恢复校验次数"] == checks[0] >= 1 and checks[1] >= 1
    assert "失败" in [row[3] for row in wb["恢复校验"].iter_rows(min_row=2, values_only=True)]
    assert "exchange.reconciliation" in summary["数据交换"]  # no exchange schema in this world
    assert (summary["入库行数"], summary["隔离行数"]) == loaded and loaded[0] > 0


def test_monthly_ops_report_counts_the_months_exchange_uploads(world):
    """The 数据交换 sheet sums exchange.reconciliation over the month's sending days (Asia/Shanghai), per
    target and category; compared with counts over the items and their latest feedback written here."""
    from datetime import datetime, timedelta, timezone

    from tests.conftest import FROZEN_TODAY
    from vaxdw.exchange.schema import ensure_schema
    from vaxdw.opsreport import collect_month

    warehouse = world["warehouse"]
    shanghai = timezone(timedelta(hours=8))
    # any month will do: the items carry their own sending times
    month_start = datetime(FROZEN_TODAY.year, FROZEN_TODAY.month, 1, tzinfo=shanghai)
    # (category, sent at, feedback statuses in order); the last one of each decides
    items = [
        ("vaccination", month_start + timedelta(minutes=5), ["accepted"]),
        ("vaccination", month_start + timedelta(minutes=6), ["rejected", "accepted"]),
        ("vaccination", month_start + timedelta(minutes=7), ["rejected"]),
        ("vaccination", month_start + timedelta(minutes=8), []),  # in flight
        ("vaccination", month_start - timedelta(minutes=1), ["accepted"]),  # last month (Shanghai day)
        ("staff", month_start + timedelta(hours=1), ["accepted"]),
    ]
    with connect(warehouse, autocommit=True) as conn:
        ensure_schema(conn)
        try:
            for n, (category, sent_at, feedback) in enumerate(items):
                status = feedback[-1] if feedback else "in_flight"
                item_id = conn.execute(
                    "insert into exchange.upload_item (target, category, record_key, record_id, idempotency_key, "
                    "version, content_hash, status, batch_id, first_sent_at) values ('niis', %s, %s, %s, %s, 1, "
                    "'h', %s, 'b', %s) returning item_id",
                    (category, f"k{n}", f"r{n}", f"ops-test-{n}", status, sent_at)).fetchone()[0]
                for verdict in feedback:
                    conn.execute("insert into exchange.upload_feedback (item_id, batch_id, status) "
                                 "values (%s, 'b', %s)", (item_id, verdict))
            report = collect_month(warehouse, month_start.year, month_start.month)
        finally:
            conn.execute("drop schema exchange cascade")
    sheet = report.sections["数据交换"].set_index("类别")
    this_month = [(c, f) for c, at, f in items if at >= month_start]
    for category in ("vaccination", "staff"):
        last = [f[-1] if f else None for c, f in this_month if c == category]
        row = sheet.loc[category]
        assert (row["已发送"], row["已接收"], row["被拒绝"], row["在途"]) == (
            len(last), last.count("accepted"), last.count("rejected"), last.count(None))
        assert row["状态不一致"] == 0
    assert report.summary["交换发送记录"] == len(this_month) == 5
    assert report.summary["交换被拒记录"] == 1


def test_documented_audit_commands(world):
    out = world["base"] / "audit_out"
    proc = _run_documented(world, "audit", VAXDW_OUT_DIR=str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert "审计日志清理（预演，未删除）" in proc.stdout and (out / "审计日志报表_202601_202612.xlsx").exists()
    with connect(world["warehouse"]) as conn:
        logins = conn.execute("select user_name, subject, outcome from audit.event_log where kind = 'login' "
                              "order by event_id").fetchall()
    assert logins == [("ops_admin", "audit purge", "exit 0"), ("auditor", "audit report", "exit 0")]
