"""Deadline and freshness alerts (the SLA-miss alerts Airflow 2 had), through the one alert path.

Airflow 3 removed task/DAG SLAs. Two things replace them here, raising the same alert keys so a miss is
reported once:

- ``check_deadlines`` (DAG ``vaxdw_sla_watch`` every 30 minutes, ``vaxdw deadlines``) reads the warehouse's
  own records: ``deadline:vaxdw_main`` (critical) when the main pipeline has not finished its last step
  (export_statements) today by ``VAXDW_MAIN_DEADLINE`` (Asia/Shanghai, default 06:00), and
  ``freshness:marts`` (warning) when the last successful dbt build is older than
  ``VAXDW_MART_MAX_AGE_HOURS`` (default 36). Both resolve themselves (recovery message) once the run has
  finished / the marts were rebuilt. This works with any scheduler and is what the tests exercise.
- Airflow 3's Deadline Alerts on ``vaxdw_main`` (``DeadlineAlert``, evaluated by the scheduler) call
  :func:`vaxdw.alerts.airflow_callbacks.on_deadline_missed`, which raises ``deadline:vaxdw_main`` too.
  Attached only when ``VAXDW_AIRFLOW_DEADLINE_ALERTS=true`` (docker-compose sets it): in Airflow 3.3.2,
  ``airflow dags test`` of a DAG with a deadline fails when the run ends (``DagRun.update_state`` passes the
  unserialised alert to ``DeadlineAlertModel.get_by_id``: "'dict' object has no attribute 'hex'"), and the
  demo and the end-to-end tests run the main DAG that way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from vaxdw import clock
from vaxdw.alerts.dispatch import raise_alert, resolve_alert
from vaxdw.db import PgParams, connect
from vaxdw.settings import Settings, get_settings

MAIN_KEY = "deadline:vaxdw_main"
FRESHNESS_KEY = "freshness:marts"
LAST_STEP = "export_statements"
TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class DeadlineStatus:
    key: str
    breached: bool | None  # None: not judged yet (before today's deadline, run not finished)
    message_zh: str


def _deadline(text: str) -> time:
    try:
        hour, minute = (int(part) for part in text.split(":"))
        return time(hour, minute)
    except ValueError:
        raise ValueError(f"VAXDW_MAIN_DEADLINE 应为 HH:MM（北京时间）：{text!r}") from None


def _latest(conn, step: str) -> datetime | None:
    if not conn.execute("select to_regclass('control.pipeline_step') is not null").fetchone()[0]:
        return None
    return conn.execute("select max(finished_at) from control.pipeline_step where step = %s", (step,)).fetchone()[0]


def _fmt(at: datetime | None) -> str:
    return at.astimezone(TZ).strftime("%Y-%m-%d %H:%M") if at else "从未"


def evaluate(warehouse: PgParams, settings: Settings, now: datetime) -> list[DeadlineStatus]:
    local = now.astimezone(TZ)
    deadline = _deadline(settings.main_deadline)
    with connect(warehouse) as conn:
        finished, built = _latest(conn, LAST_STEP), _latest(conn, "transform")
    today = datetime.combine(local.date(), time(0), TZ)
    if finished is not None and finished >= today:
        main = DeadlineStatus(MAIN_KEY, False, f"主流程 vaxdw_main 今日已于 {_fmt(finished)} 完成")
    elif local.time() >= deadline:
        main = DeadlineStatus(MAIN_KEY, True, f"主流程 vaxdw_main 截至 {deadline:%H:%M} 尚未完成"
                                               f"（最近一次完成：{_fmt(finished)}）")
    else:
        main = DeadlineStatus(MAIN_KEY, None, f"主流程 vaxdw_main 今日尚未完成，截止 {deadline:%H:%M}")
    limit = timedelta(hours=settings.mart_max_age_hours)
    if built is None or now - built > limit:
        age = "从未构建" if built is None else f"已 {(now - built).total_seconds() / 3600:.1f} 小时未更新"
        fresh = DeadlineStatus(FRESHNESS_KEY, True, f"数据集市{age}（阈值 {settings.mart_max_age_hours:g} 小时，"
                                                    f"最近构建：{_fmt(built)}）")
    else:
        fresh = DeadlineStatus(FRESHNESS_KEY, False, f"数据集市已于 {_fmt(built)} 更新")
    return [main, fresh]


def check_deadlines(warehouse: PgParams, settings: Settings | None = None,
                    now: datetime | None = None) -> list[DeadlineStatus]:
    """Raise or resolve ``deadline:vaxdw_main`` and ``freshness:marts``; return what was judged."""
    settings = settings or get_settings()
    now = now or clock.now()
    statuses = evaluate(warehouse, settings, now)
    for status in statuses:
        if status.breached:
            severity = "critical" if status.key == MAIN_KEY else "warning"
            raise_alert(warehouse, status.key, severity, "deadline", status.message_zh, settings=settings, now=now)
        elif status.breached is False:
            resolve_alert(warehouse, status.key, f"已恢复：{status.message_zh}", settings=settings, now=now)
    return statuses
