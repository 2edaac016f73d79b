"""Monitoring as code: compose services pinned and wired, and every metric used by the alert rules and
Grafana panels is one the vaxdw exporter actually produces."""

from __future__ import annotations

import json
import re

import yaml

from vaxdw.settings import PROJECT_ROOT

OPS = PROJECT_ROOT / "ops"


def _exported_names() -> set[str]:
    source = (PROJECT_ROOT / "vaxdw" / "monitoring" / "metrics.py").read_text()
    return set(re.findall(r'metric\(\s*"(vaxdw_\w+)"', source))


def test_rules_and_dashboards_use_only_exported_metrics():
    exported = _exported_names()
    assert {"vaxdw_mart_freshness_seconds", "vaxdw_pg_cache_hit_ratio", "vaxdw_restore_verify_ok"} <= exported
    rules = yaml.safe_load((OPS / "prometheus" / "rules" / "vaxdw.yml").read_text())
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    for rule in (r for g in rules["groups"] for r in g["rules"]):
        assert rule["labels"]["severity"] in ("critical", "warning", "info")
        assert re.search(r"[\u4e00-\u9fff]", rule["annotations"]["summary_zh"])
    dashboard = json.loads((OPS / "grafana" / "dashboards" / "vaxdw_overview.json").read_text())
    exprs += [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {name for expr in exprs for name in re.findall(r"\bvaxdw_\w+", expr)}
    assert used and used <= exported, used - exported
    datasource = yaml.safe_load((OPS / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    assert {panel["datasource"]["uid"] for panel in dashboard["panels"]} == {datasource["datasources"][0]["uid"]}


def test_compose_monitoring_services_are_pinned_and_wired():
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("prometheus", "alertmanager", "grafana", "postgres-exporter", "statsd-exporter"):
        image = services[name]["image"]
        assert re.search(r":v?\d+\.\d+\.\d+$", image), f"{name} image not pinned: {image}"
        assert services[name]["healthcheck"]["test"]
    assert services["vaxdw-exporter"]["command"][:3] == ["vaxdw", "metrics", "serve"]
    mounts = " ".join(services["prometheus"]["volumes"])
    assert "ops/prometheus/rules" in mounts and "ops/prometheus/prometheus.yml" in mounts
    prometheus = yaml.safe_load((OPS / "prometheus" / "prometheus.yml").read_text())
    targets = {t for job in prometheus["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}
    assert {t.split(":")[0] for t in targets} <= set(services)
    assert prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]
    alertmanager = yaml.safe_load((OPS / "alertmanager" / "alertmanager.yml").read_text())
    hook = alertmanager["receivers"][0]["webhook_configs"][0]
    assert hook["url"].startswith("http://vaxdw-exporter:9187/alertmanager") and hook["send_resolved"]
    env = services["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__METRICS__STATSD_HOST"] == "statsd-exporter"
    assert "VAXDW_DINGTALK_SECRET" in env and "VAXDW_SMTP_HOST" in env
    text = (PROJECT_ROOT / "docker-compose.yml").read_text()
    assert "GRAFANA_ADMIN_PASSWORD:?" in text
