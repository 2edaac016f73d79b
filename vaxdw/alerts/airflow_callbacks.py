"""Airflow task callbacks that feed the one alert path.

DAG files set ``default_args={"on_failure_callback": on_failure_callback,
"on_success_callback": on_success_callback, ...}``: a failed task raises ``airflow:<dag>:<task>``;
the next success of the same task resolves it (recovery message).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def _key(context: dict[str, Any]) -> str:
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    task_id = getattr(ti, "task_id", None) or getattr(context.get("task"), "task_id", "?")
    return f"airflow:{dag_id}:{task_id}"


def on_failure_callback(context: dict[str, Any]) -> None:
    from vaxdw.alerts import raise_alert
    from vaxdw.db import resolve

    key = _key(context)
    ti = context.get("ti") or context.get("task_instance")
    error = context.get("exception")
    _, dag_id, task_id = key.split(":", 2)
    message = (
        f"任务失败：{dag_id}.{task_id}（运行 {context.get('run_id', '?')}，"
        f"第 {getattr(ti, 'try_number', '?')} 次尝试）：{type(error).__name__ if error else ''} {error or ''}".strip()
    )
    try:
        raise_alert(resolve()[1], key, "critical", "airflow", message)
    except Exception:  # noqa: BLE001 - a callback must never mask the task's own failure
        log.exception("could not raise alert %s", key)


def on_success_callback(context: dict[str, Any]) -> None:
    from vaxdw.alerts import resolve_alert
    from vaxdw.db import resolve

    key = _key(context)
    try:
        resolve_alert(resolve()[1], key)
    except Exception:  # noqa: BLE001
        log.exception("could not resolve alert %s", key)


def on_deadline_missed(context: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Airflow 3 Deadline Alert callback (``SyncCallback``): the run missed its deadline → one alert path.

    Raises ``deadline:<dag_id>``, the key the warehouse-side watch (vaxdw.alerts.deadlines) uses for the
    same condition, so a miss seen by both is notified once; the watch resolves it when the run finishes.
    """
    from vaxdw.alerts import raise_alert
    from vaxdw.db import resolve

    context = context or {}
    dag_run = context.get("dag_run") or {}
    dag_id = kwargs.get("dag_id") or (dag_run.get("dag_id") if isinstance(dag_run, dict) else
                                      getattr(dag_run, "dag_id", None)) or "vaxdw_main"
    run_id = dag_run.get("run_id") if isinstance(dag_run, dict) else getattr(dag_run, "run_id", None)
    message = f"{dag_id} 运行 {run_id or '?'} 超过截止时间仍未完成（{kwargs.get('deadline_zh', 'Airflow 截止提醒')}）"
    raise_alert(resolve()[1], f"deadline:{dag_id}", "critical", "airflow-deadline", message)
