"""What the backup DAGs call: full on the configured weekday (or when no chain exists), otherwise
incremental; failures go to the alert path and are re-raised so the task fails."""

from __future__ import annotations

from datetime import date

from vaxdw.backup.logical import BackupResult, full_backup, incremental_backup, latest_chain
from vaxdw.backup.verify import VerifyResult, verify_latest
from vaxdw.db import resolve
from vaxdw.settings import Settings, get_settings

FULL_WEEKDAY = 6  # Sunday (date.weekday()); UNCONFIRMED with the province: a parameter, documented


def scheduled_backup(day: date, settings: Settings | None = None, full_weekday: int = FULL_WEEKDAY) -> BackupResult:
    from vaxdw.alerts import raise_alert, resolve_alert

    settings = settings or get_settings()
    _, warehouse = resolve(settings)
    kind = "full" if day.weekday() == full_weekday or not latest_chain(settings.backup_dir) else "incr"
    try:
        result = full_backup(warehouse, settings) if kind == "full" else incremental_backup(warehouse, settings)
    except Exception as exc:
        raise_alert(warehouse, "backup:failed", "critical", "backup", f"{'全量' if kind == 'full' else '增量'}备份失败：{exc}",
                    settings=settings)
        raise
    resolve_alert(warehouse, "backup:failed", settings=settings)
    return result


def scheduled_verify(settings: Settings | None = None) -> VerifyResult:
    settings = settings or get_settings()
    _, warehouse = resolve(settings)
    result = verify_latest(warehouse, settings)
    if not result.ok:
        raise RuntimeError(f"restore verification failed: {result.mismatches[:3]}")
    return result
