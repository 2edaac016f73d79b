"""Record alert events, de-duplicate, and deliver to every configured channel.

A key names one condition (``airflow:vaxdw_main:transform``, ``backup:restore_verify``, …). While an
event for the key is open, raising it again only bumps ``last_seen``/``occurrences`` and re-notifies
once the de-duplication window has passed. Resolving closes the event and sends a recovery message if
the firing one was sent. A failing channel is recorded in ``monitor.alert_delivery`` and logged; it
never raises into the caller (a broken mail server must not fail the pipeline task that reported).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from vaxdw import clock
from vaxdw.alerts import dingtalk, mail
from vaxdw.alerts.store import ensure_tables
from vaxdw.db import PgParams, connect
from vaxdw.settings import Settings, get_settings

log = logging.getLogger(__name__)

SEVERITY_ZH = {"critical": "严重", "warning": "警告", "info": "提示"}


@dataclass
class AlertOutcome:
    alert_id: int | None
    notified: bool
    deliveries: dict[str, str] = field(default_factory=dict)  # channel -> "ok" or the error


def _channels(settings: Settings) -> dict[str, Callable[[str, str], None]]:
    channels: dict[str, Callable[[str, str], None]] = {}
    if settings.dingtalk_webhook_url:
        url, secret = settings.dingtalk_webhook_url, settings.dingtalk_secret
        channels["dingtalk"] = lambda title, text: dingtalk.send_markdown(url, secret, title, text)
    if settings.smtp_host and settings.alert_email_to:
        channels["email"] = lambda title, text: mail.send_mail(settings, title, text)
    return channels


def _deliver(conn, settings: Settings, alert_id: int, kind: str, title: str, text: str) -> dict[str, str]:
    results = {}
    for name, send in _channels(settings).items():
        try:
            send(title, text)
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any channel failure is recorded, not raised
            log.warning("alert %s: %s delivery failed: %s", alert_id, name, exc)
            results[name] = f"{type(exc).__name__}: {exc}"
        conn.execute(
            "insert into monitor.alert_delivery (alert_id, kind, channel, ok, error) values (%s, %s, %s, %s, %s)",
            (alert_id, kind, name, results[name] == "ok", None if results[name] == "ok" else results[name]),
        )
    return results


def _text(severity: str, source: str, key: str, message_zh: str, at: datetime, extra: str = "") -> str:
    stamp = at.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")
    return (
        f"### 【{SEVERITY_ZH.get(severity, severity)}】{message_zh}\n\n"
        f"- 来源：{source}\n- 告警键：{key}\n- 时间：{stamp}\n{extra}"
    )


def raise_alert(
    warehouse: PgParams,
    key: str,
    severity: str,
    source: str,
    message_zh: str,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> AlertOutcome:
    settings = settings or get_settings()
    now = now or clock.now()
    ensure_tables(warehouse)
    with connect(warehouse) as conn:
        row = conn.execute(
            "select alert_id, last_notified_at from monitor.alert_event "
            "where alert_key = %s and resolved_at is null for update",
            (key,),
        ).fetchone()
        if row:
            alert_id, last_notified = row
            conn.execute(
                "update monitor.alert_event set last_seen = %s, occurrences = occurrences + 1, "
                "message_zh = %s, severity = %s where alert_id = %s",
                (now, message_zh, severity, alert_id),
            )
        else:
            alert_id = conn.execute(
                "insert into monitor.alert_event (alert_key, severity, source, message_zh, first_seen, last_seen) "
                "values (%s, %s, %s, %s, %s, %s) returning alert_id",
                (key, severity, source, message_zh, now, now),
            ).fetchone()[0]
            last_notified = None
        window = timedelta(minutes=settings.alert_dedup_minutes)
        if last_notified is not None and now - last_notified < window:
            log.info("alert %s (%s) already notified at %s: suppressed", key, alert_id, last_notified)
            return AlertOutcome(alert_id, notified=False)
        title = f"[vaxdw {SEVERITY_ZH.get(severity, severity)}] {message_zh}"
        deliveries = _deliver(conn, settings, alert_id, "firing", title,
                              _text(severity, source, key, message_zh, now))
        conn.execute("update monitor.alert_event set last_notified_at = %s where alert_id = %s", (now, alert_id))
    return AlertOutcome(alert_id, notified=True, deliveries=deliveries)


def resolve_alert(
    warehouse: PgParams,
    key: str,
    message_zh: str | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> AlertOutcome:
    """Close the open event for ``key`` (if any) and send the recovery message (恢复通知)."""
    settings = settings or get_settings()
    now = now or clock.now()
    ensure_tables(warehouse)
    with connect(warehouse) as conn:
        row = conn.execute(
            "select alert_id, severity, source, message_zh, first_seen, last_notified_at from monitor.alert_event "
            "where alert_key = %s and resolved_at is null for update",
            (key,),
        ).fetchone()
        if not row:
            return AlertOutcome(None, notified=False)
        alert_id, severity, source, fired_message, first_seen, last_notified = row
        conn.execute("update monitor.alert_event set resolved_at = %s where alert_id = %s", (now, alert_id))
        if last_notified is None:
            return AlertOutcome(alert_id, notified=False)
        minutes = max(0, int((now - first_seen).total_seconds() // 60))
        recovered = message_zh or f"已恢复：{fired_message}"
        title = f"[vaxdw 恢复] {recovered}"
        deliveries = _deliver(
            conn, settings, alert_id, "recovery", title,
            _text(severity, source, key, recovered, now, extra=f"- 持续：约 {minutes} 分钟\n"),
        )
        conn.execute("update monitor.alert_event set recovery_notified_at = %s where alert_id = %s", (now, alert_id))
    return AlertOutcome(alert_id, notified=True, deliveries=deliveries)
