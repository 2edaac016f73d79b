"""Backups of what cannot be rebuilt (raw landing data, control, quality, monitoring, audit, config),
full + incremental, with retention, and a restore verification into a scratch database."""

from vaxdw.backup.logical import BackupResult, full_backup, incremental_backup, restore_chain
from vaxdw.backup.verify import VerifyResult, verify_latest

__all__ = ["BackupResult", "VerifyResult", "full_backup", "incremental_backup", "restore_chain", "verify_latest"]
