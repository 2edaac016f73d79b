"""The audit trail (等保三级 security audit): who exported, repaired, logged in, changed configuration.

Tables: ``audit.export_log`` (vaxdw.access.audit), ``curated.repair_audit`` (vaxdw.repair), and
``audit.event_log`` here (logins to the CLI/exporters, configuration changes, the retention purge's own
runs). ``retention.purge_audit`` deletes what is older than the configured retention; ``report`` is the
审计日志报表 over all of them.
"""
