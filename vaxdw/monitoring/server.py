"""The metrics endpoint (``GET /metrics``) and Alertmanager's webhook (``POST /alertmanager``).

Prometheus alerts reach people through the same path as everything else: each firing alert becomes
``raise_alert("prometheus:<alertname>:<labels>")``, each resolved one ``resolve_alert``.
"""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from vaxdw.db import PgParams
from vaxdw.monitoring.metrics import collect, render

log = logging.getLogger(__name__)


def handle_alertmanager(warehouse: PgParams, payload: dict) -> int:
    """Feed an Alertmanager webhook payload into the alert path; return how many alerts were handled."""
    from vaxdw.alerts import raise_alert, resolve_alert

    handled = 0
    for alert in payload.get("alerts", []):
        labels = alert.get("labels", {})
        name = labels.get("alertname", "unknown")
        extra = ",".join(f"{k}={v}" for k, v in sorted(labels.items()) if k not in ("alertname", "severity"))
        key = f"prometheus:{name}" + (f":{extra}" if extra else "")
        annotations = alert.get("annotations", {})
        message = annotations.get("summary_zh") or annotations.get("summary") or name
        if alert.get("status") == "resolved":
            resolve_alert(warehouse, key)
        else:
            severity = labels.get("severity", "warning")
            raise_alert(warehouse, key, severity if severity in ("critical", "warning", "info") else "warning",
                        "prometheus", message)
        handled += 1
    return handled


def make_server(warehouse: PgParams, host: str = "127.0.0.1", port: int = 9187) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            if self.path.split("?")[0] not in ("/metrics", "/"):
                self.send_error(404)
                return
            body = render(collect(warehouse)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # noqa: N802 - http.server API
            if self.path.split("?")[0] != "/alertmanager":
                self.send_error(404)
                return
            payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            handle_alertmanager(warehouse, payload)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, fmt, *args):
            log.debug(fmt, *args)

    return ThreadingHTTPServer((host, port), Handler)
