"""One settings object, read from the environment (VAXDW_*).

Every other module takes its configuration from :func:`get_settings`; nothing reads
``os.environ`` for VAXDW_* variables elsewhere.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).resolve() if value else default


def _weekday(value: str) -> str:
    value = value.strip().lower()[:3]
    if value and value not in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        raise ValueError(f"VAXDW_FULL_REFRESH_WEEKDAY: {value!r} is not a weekday (mon … sun, or empty)")
    return value


def _env_date(name: str) -> date | None:
    value = (os.environ.get(name) or "").strip()
    if not value:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} must be an ISO date YYYY-MM-DD (or unset for today), got {value!r}") from None


@dataclass(frozen=True)
class Settings:
    """Runtime configuration.

    ``source_url`` / ``warehouse_url`` are SQLAlchemy-style PostgreSQL URLs
    (``postgresql://user:pass@host:port/db`` or with ``?host=/socket/dir``). When unset,
    the embedded PostgreSQL (pgserver) under ``pgdata_dir`` is started and two databases
    on it are used: ``vaxdw_source`` (the simulated operational system) and
    ``vaxdw_warehouse``.
    """

    source_url: str | None = None
    warehouse_url: str | None = None
    # Least-privilege service logins (vaxdw.security.service_roles): the load, dbt and quality-check steps
    # connect with these when set; each falls back to warehouse_url.
    loader_url: str | None = None
    transformer_url: str | None = None
    quality_url: str | None = None
    pgdata_dir: Path = PROJECT_ROOT / ".pgdata"
    out_dir: Path = PROJECT_ROOT / "out"
    dbt_project_dir: Path = PROJECT_ROOT / "dbt_project"
    expectations_dir: Path = PROJECT_ROOT / "expectations"
    scale: str = "demo"
    seed: int = 20240101
    timezone: str = "Asia/Shanghai"
    # Evaluation date T: what "today" means for business defaults (report as-of dates, default periods and
    # months, the rule set in force, dbt var evaluation_date); None = today in `timezone` (vaxdw.clock).
    # Event timestamps (audit rows, loads, alerts, backups) always use the real clock.
    evaluation_date: date | None = None
    # Watermark safety lag: rows updated within this many seconds of "now" are left for the next
    # load, so a transaction that commits late with an older updated_at is not skipped.
    watermark_lag_seconds: int = 0
    # Alerting (vaxdw.alerts): DingTalk robot webhook + signing secret, SMTP; same alert key is not
    # re-sent within alert_dedup_minutes while it stays open.
    dingtalk_webhook_url: str | None = None
    dingtalk_secret: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    alert_email_from: str = "vaxdw-alerts@localhost"
    alert_email_to: tuple[str, ...] = ()
    alert_dedup_minutes: int = 60
    # Deadline / freshness alerts (vaxdw.alerts.deadlines): the main pipeline must have finished today by
    # this Asia/Shanghai wall-clock time (HH:MM), and the marts must be younger than mart_max_age_hours.
    main_deadline: str = "06:00"
    mart_max_age_hours: float = 36.0
    # Attach Airflow 3's DeadlineAlert to vaxdw_main (scheduler deployments only: Airflow 3.3.2's
    # `airflow dags test` fails at the end of a run of a DAG with a deadline, see vaxdw.alerts.deadlines).
    airflow_deadline_alerts: bool = False
    # dbt builds (vaxdw.build_mode): the weekday of the weekly full refresh (mon … sun; empty = never: only
    # when asked or when vars/seeds/models changed) and the time limit of one dbt invocation, sized for a
    # province's full refresh (docs/scaling.md); the Airflow task's execution_timeout follows it.
    full_refresh_weekday: str = "sun"
    dbt_timeout_seconds: int = 3 * 3600
    # Airflow execution_timeout of every other task of the project's DAGs (VAXDW_TASK_TIMEOUT_SECONDS).
    task_timeout_seconds: int = 2 * 3600
    # Backups (vaxdw.backup): where logical backups are written and how many full backups are kept.
    backup_dir: Path = PROJECT_ROOT / "backups"
    backup_keep_full: int = 4
    # Audit trail retention (vaxdw.audit.retention): rows older than this many days are purged; at least
    # 180 (six months, 网络安全法/等保三级); default 1095 (three years).
    audit_retention_days: int = 1095
    # Superset (vaxdw/bi): state folder (generated config, secret key, admin and user passwords, log,
    # pid), bind address, admin user name and password (generated into the state folder when unset).
    superset_home: Path = PROJECT_ROOT / ".superset"
    superset_host: str = "127.0.0.1"
    superset_port: int = 8088
    superset_admin: str = "admin"
    superset_admin_password: str | None = None
    # the SECRET_KEY a metadata database was written under, to re-encrypt it under the current one
    # (vaxdw.bi.metadata_secrets; VAXDW_SUPERSET_PREVIOUS_SECRET_KEY)
    superset_previous_secret_key: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        return not (self.source_url and self.warehouse_url)


def get_settings() -> Settings:
    env = os.environ
    return Settings(
        source_url=env.get("VAXDW_SOURCE_URL") or None,
        warehouse_url=env.get("VAXDW_WAREHOUSE_URL") or None,
        loader_url=env.get("VAXDW_LOADER_URL") or None,
        transformer_url=env.get("VAXDW_TRANSFORMER_URL") or None,
        quality_url=env.get("VAXDW_QUALITY_URL") or None,
        pgdata_dir=_env_path("VAXDW_PGDATA", PROJECT_ROOT / ".pgdata"),
        out_dir=_env_path("VAXDW_OUT_DIR", PROJECT_ROOT / "out"),
        scale=env.get("VAXDW_SCALE", "demo"),
        seed=int(env.get("VAXDW_SEED", "20240101")),
        evaluation_date=_env_date("VAXDW_EVALUATION_DATE"),
        watermark_lag_seconds=int(env.get("VAXDW_WATERMARK_LAG_SECONDS", "0")),
        dingtalk_webhook_url=env.get("VAXDW_DINGTALK_WEBHOOK_URL") or None,
        dingtalk_secret=env.get("VAXDW_DINGTALK_SECRET") or None,
        smtp_host=env.get("VAXDW_SMTP_HOST") or None,
        smtp_port=int(env.get("VAXDW_SMTP_PORT", "25")),
        smtp_user=env.get("VAXDW_SMTP_USER") or None,
        smtp_password=env.get("VAXDW_SMTP_PASSWORD") or None,
        smtp_starttls=env.get("VAXDW_SMTP_STARTTLS", "false").lower() in ("1", "true", "yes"),
        alert_email_from=env.get("VAXDW_ALERT_EMAIL_FROM", "vaxdw-alerts@localhost"),
        alert_email_to=tuple(a.strip() for a in env.get("VAXDW_ALERT_EMAIL_TO", "").split(",") if a.strip()),
        alert_dedup_minutes=int(env.get("VAXDW_ALERT_DEDUP_MINUTES", "60")),
        main_deadline=env.get("VAXDW_MAIN_DEADLINE", "06:00"),
        mart_max_age_hours=float(env.get("VAXDW_MART_MAX_AGE_HOURS", "36")),
        airflow_deadline_alerts=env.get("VAXDW_AIRFLOW_DEADLINE_ALERTS", "false").lower() in ("1", "true", "yes"),
        full_refresh_weekday=_weekday(env.get("VAXDW_FULL_REFRESH_WEEKDAY", "sun")),
        dbt_timeout_seconds=int(env.get("VAXDW_DBT_TIMEOUT_SECONDS", str(3 * 3600))),
        task_timeout_seconds=int(env.get("VAXDW_TASK_TIMEOUT_SECONDS", str(2 * 3600))),
        backup_dir=_env_path("VAXDW_BACKUP_DIR", PROJECT_ROOT / "backups"),
        backup_keep_full=int(env.get("VAXDW_BACKUP_KEEP_FULL", "4")),
        audit_retention_days=int(env.get("VAXDW_AUDIT_RETENTION_DAYS", "1095")),
        # data exchange endpoints and limits (vaxdw/exchange/config.py)
        extra={k: v for k, v in env.items() if k.startswith("VAXDW_EXCHANGE_")},
        superset_home=_env_path("VAXDW_SUPERSET_HOME", PROJECT_ROOT / ".superset"),
        superset_host=env.get("VAXDW_SUPERSET_HOST", "127.0.0.1"),
        superset_port=int(env.get("VAXDW_SUPERSET_PORT", "8088")),
        superset_admin=env.get("VAXDW_SUPERSET_ADMIN", "admin"),
        superset_admin_password=env.get("VAXDW_SUPERSET_ADMIN_PASSWORD") or None,
        superset_previous_secret_key=env.get("VAXDW_SUPERSET_PREVIOUS_SECRET_KEY") or None,
    )
