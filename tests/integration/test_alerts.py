"""The one alert path, against a local DingTalk robot (signature verified) and a local SMTP server.

Covers: delivery to both channels, de-duplication within the window, re-notification after it,
the recovery message, a failing channel recorded without raising, and a failing Airflow task
(`airflow dags test`) whose shared on_failure_callback delivers the alert.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.ops.receivers import DingTalkReceiver, SmtpReceiver
from vaxdw.airflow_env import airflow_env, dags_test
from vaxdw.alerts import dingtalk, raise_alert, resolve_alert
from vaxdw.db import connect, parse_url
from vaxdw.settings import PROJECT_ROOT

SECRET = "SEC-test-0123456789abcdef"


@pytest.fixture
def receivers():
    robot, smtp = DingTalkReceiver(SECRET), SmtpReceiver()
    yield robot, smtp
    robot.close()
    smtp.close()


@pytest.fixture
def alert_settings(settings, receivers):
    robot, smtp = receivers
    return replace(
        settings, dingtalk_webhook_url=robot.url, dingtalk_secret=SECRET, smtp_host="127.0.0.1",
        smtp_port=smtp.port, alert_email_to=("jhk@example.cn", "ops@example.cn"), alert_dedup_minutes=30,
    )


def test_sign_matches_dingtalk_documented_example():
    # recomputed independently in the receiver too; here a fixed vector guards the encoding (urlencoded base64)
    value = dingtalk.sign(1700000000000, "SECabc")
    assert "%" in value or value.isalnum()
    assert dingtalk.signed_url("http://x/send?access_token=t", "SECabc", 1700000000000).endswith(
        f"&timestamp=1700000000000&sign={value}")


def test_raise_dedup_renotify_and_recover(alert_settings, receivers):
    robot, smtp = receivers
    warehouse = parse_url(alert_settings.warehouse_url)
    t0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

    first = raise_alert(warehouse, "dq:vaccination:check_digit", "warning", "quality",
                        "质量阈值超限：接种记录身份证校验位错误率 3.2%", settings=alert_settings, now=t0)
    assert first.notified and first.deliveries == {"dingtalk": "ok", "email": "ok"}
    assert len(robot.messages) == 1 and not robot.rejected
    markdown = robot.messages[0]["body"]["markdown"]
    assert "警告" in markdown["title"] and "身份证校验位" in markdown["text"]
    assert len(smtp.messages) == 1
    assert "身份证校验位" in smtp.messages[0]["Subject"]
    assert smtp.envelopes[0][1] == ["jhk@example.cn", "ops@example.cn"]

    again = raise_alert(warehouse, "dq:vaccination:check_digit", "warning", "quality",
                        "质量阈值超限：接种记录身份证校验位错误率 3.4%", settings=alert_settings,
                        now=t0 + timedelta(minutes=10))
    assert again.alert_id == first.alert_id and not again.notified
    assert len(robot.messages) == 1 and len(smtp.messages) == 1

    later = raise_alert(warehouse, "dq:vaccination:check_digit", "warning", "quality",
                        "质量阈值超限：接种记录身份证校验位错误率 3.5%", settings=alert_settings,
                        now=t0 + timedelta(minutes=31))
    assert later.notified and len(robot.messages) == 2

    recovered = resolve_alert(warehouse, "dq:vaccination:check_digit", settings=alert_settings,
                              now=t0 + timedelta(minutes=45))
    assert recovered.notified and len(robot.messages) == 3 and len(smtp.messages) == 3
    assert "恢复" in robot.messages[-1]["body"]["markdown"]["title"]
    assert "持续：约 45 分钟" in smtp.messages[-1].get_content()

    # resolving twice does nothing; a new raise opens a new episode
    assert resolve_alert(warehouse, "dq:vaccination:check_digit", settings=alert_settings).alert_id is None
    new = raise_alert(warehouse, "dq:vaccination:check_digit", "warning", "quality", "再次超限",
                      settings=alert_settings, now=t0 + timedelta(minutes=50))
    assert new.alert_id != first.alert_id and new.notified

    with connect(warehouse) as conn:
        events = conn.execute(
            "select occurrences, resolved_at is not null, recovery_notified_at is not null "
            "from monitor.alert_event order by alert_id").fetchall()
        deliveries = conn.execute(
            "select kind, channel, ok from monitor.alert_delivery order by delivery_id").fetchall()
    assert events == [(3, True, True), (1, False, False)]
    assert [d[:2] for d in deliveries] == [("firing", "dingtalk"), ("firing", "email")] * 2 + [
        ("recovery", "dingtalk"), ("recovery", "email"), ("firing", "dingtalk"), ("firing", "email")]
    assert all(ok for *_, ok in deliveries)


def test_wrong_secret_and_dead_smtp_are_recorded_not_raised(alert_settings, receivers):
    robot, _ = receivers
    warehouse = parse_url(alert_settings.warehouse_url)
    broken = replace(alert_settings, dingtalk_secret="SEC-wrong", smtp_port=1)
    outcome = raise_alert(warehouse, "backup:full", "critical", "backup", "全量备份失败", settings=broken)
    assert outcome.notified
    assert "310000" in outcome.deliveries["dingtalk"] and outcome.deliveries["email"] != "ok"
    assert robot.rejected and not robot.messages
    with connect(warehouse) as conn:
        failed = conn.execute("select channel from monitor.alert_delivery where not ok order by 1").fetchall()
    assert failed == [("dingtalk",), ("email",)]


@pytest.mark.e2e
def test_failing_airflow_task_alerts_dingtalk_and_email(alert_settings, receivers, tmp_path):
    robot, smtp = receivers
    env = airflow_env(alert_settings, home=tmp_path / "airflow")
    env.update({
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "tests" / "ops" / "dags"),
        "VAXDW_DINGTALK_WEBHOOK_URL": robot.url,
        "VAXDW_DINGTALK_SECRET": SECRET,
        "VAXDW_SMTP_HOST": "127.0.0.1",
        "VAXDW_SMTP_PORT": str(smtp.port),
        "VAXDW_ALERT_EMAIL_TO": "jhk@example.cn",
    })
    proc = dags_test(env, "vaxdw_alert_probe")
    output = proc.stdout + proc.stderr
    assert "source system unreachable" in output
    assert len(robot.messages) == 1, output[-4000:]
    text = robot.messages[0]["body"]["markdown"]["text"]
    assert "任务失败：vaxdw_alert_probe.load_feed" in text and "source system unreachable" in text
    assert "airflow:vaxdw_alert_probe:load_feed" in text
    assert len(smtp.messages) == 1 and "vaxdw_alert_probe.load_feed" in smtp.messages[0]["Subject"]
    with connect(parse_url(alert_settings.warehouse_url)) as conn:
        key, severity = conn.execute("select alert_key, severity from monitor.alert_event").fetchone()
    assert (key, severity) == ("airflow:vaxdw_alert_probe:load_feed", "critical")
