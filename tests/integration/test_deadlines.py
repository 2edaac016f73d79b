"""Deadline (SLA-miss) and freshness alerts reach the local DingTalk robot and SMTP server once, are
de-duplicated with the Airflow 3 Deadline Alert callback's own miss, and recover when the run finishes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.ops.receivers import DingTalkReceiver, SmtpReceiver
from vaxdw.alerts.airflow_callbacks import on_deadline_missed
from vaxdw.alerts.deadlines import FRESHNESS_KEY, MAIN_KEY, check_deadlines
from vaxdw.db import connect, parse_url
from vaxdw.pipeline import record_step

SECRET = "SEC-deadline-test"
LOCAL = timedelta(hours=8)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    """Asia/Shanghai wall clock on 2026-03-<day>, as an aware UTC datetime."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) - LOCAL


def _step(warehouse, run_id: str, step: str, at: datetime) -> None:
    record_step(warehouse, run_id, step, {})
    with connect(warehouse) as conn:
        conn.execute("update control.pipeline_step set finished_at = %s where pipeline_run_id = %s and step = %s",
                     (at, run_id, step))


@pytest.fixture
def watch(settings, monkeypatch):
    robot, smtp = DingTalkReceiver(SECRET), SmtpReceiver()
    env = {"VAXDW_WAREHOUSE_URL": settings.warehouse_url, "VAXDW_SOURCE_URL": settings.source_url,
           "VAXDW_DINGTALK_WEBHOOK_URL": robot.url, "VAXDW_DINGTALK_SECRET": SECRET,
           "VAXDW_SMTP_HOST": "127.0.0.1", "VAXDW_SMTP_PORT": str(smtp.port), "VAXDW_ALERT_EMAIL_TO": "ops@example.cn"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    alert_settings = replace(settings, dingtalk_webhook_url=robot.url, dingtalk_secret=SECRET, smtp_host="127.0.0.1",
                             smtp_port=smtp.port, alert_email_to=("ops@example.cn",), main_deadline="06:00",
                             mart_max_age_hours=36, alert_dedup_minutes=120)
    yield parse_url(settings.warehouse_url), alert_settings, robot, smtp
    robot.close()
    smtp.close()


def test_missed_deadline_and_stale_marts_alert_once_and_recover(watch):
    warehouse, settings, robot, smtp = watch
    _step(warehouse, "run-0228", "transform", _at(1, 2) - timedelta(days=1))  # 2026-02-28 02:00
    _step(warehouse, "run-0228", "export_statements", _at(1, 3) - timedelta(days=1))

    early = check_deadlines(warehouse, settings, now=_at(2, 5, 30))  # before today's 06:00: not judged
    assert [s.breached for s in early] == [None, True] and len(robot.messages) == 1  # marts 50.5 h old
    robot.messages.clear()
    smtp.messages.clear()

    # the scheduler's Deadline Alert fires first (Airflow 3 DeadlineAlert → SyncCallback) …
    on_deadline_missed(context={"dag_run": {"dag_id": "vaxdw_main", "run_id": "scheduled__2026-03-02"}},
                       dag_id="vaxdw_main", deadline_zh="截止 06:00")
    assert len(robot.messages) == 1 and "scheduled__2026-03-02" in robot.messages[0]["body"]["markdown"]["text"]
    # … then the watch sees the same miss: the same open alert, not a second notification
    statuses = check_deadlines(warehouse, settings, now=_at(2, 6, 30))
    assert {s.key: s.breached for s in statuses} == {MAIN_KEY: True, FRESHNESS_KEY: True}
    assert len(robot.messages) == 1 and len(smtp.messages) == 1
    with connect(warehouse) as conn:
        open_alerts = dict(conn.execute("select alert_key, severity from monitor.alert_event "
                                        "where resolved_at is null").fetchall())
    assert open_alerts == {MAIN_KEY: "critical", FRESHNESS_KEY: "warning"}

    # the run finishes at 07:20: both recover, each with one recovery message on both channels
    _step(warehouse, "run-0302", "transform", _at(2, 7, 10))
    _step(warehouse, "run-0302", "export_statements", _at(2, 7, 20))
    statuses = check_deadlines(warehouse, settings, now=_at(2, 7, 30))
    assert {s.key: s.breached for s in statuses} == {MAIN_KEY: False, FRESHNESS_KEY: False}
    recoveries = [m["body"]["markdown"] for m in robot.messages[1:]]
    assert len(recoveries) == 2 and all("恢复" in m["title"] for m in recoveries)
    assert any("07:20 完成" in m["text"] for m in recoveries)
    assert len(smtp.messages) == 3 and all("恢复" in m["Subject"] for m in smtp.messages[1:])
    check_deadlines(warehouse, settings, now=_at(2, 8))  # nothing open: nothing sent
    assert len(robot.messages) == 3
    with connect(warehouse) as conn:
        assert conn.execute("select count(*) from monitor.alert_event where resolved_at is null").fetchone()[0] == 0
