"""Collect pipeline and PostgreSQL metrics from the warehouse and render Prometheus text format.

Every query is guarded by the existence of its table (``to_regclass``): a fresh warehouse, or one where
another component (exchange uploads, backups) has not run yet, yields fewer series, never an error.
PostgreSQL metrics use the statistics views; slow-query metrics need ``pg_stat_statements`` and are
reported as unavailable (``vaxdw_pg_stat_statements_available 0``) otherwise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import psycopg

from vaxdw.db import PgParams, connect

log = logging.getLogger(__name__)

# Exchange uploads are built on another branch: counted only when this table exists, by its status column.
EXCHANGE_TABLE = "exchange.upload_item"  # status: queued, in_flight, accepted, rejected, …
SLOW_QUERY_MS = 5000


@dataclass
class Metric:
    name: str
    help: str
    kind: str = "gauge"
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float | None, **labels: str) -> None:
        if value is not None:
            self.samples.append((labels, float(value)))


class Registry:
    def __init__(self) -> None:
        self.metrics: dict[str, Metric] = {}

    def metric(self, name: str, help_text: str, kind: str = "gauge") -> Metric:
        return self.metrics.setdefault(name, Metric(name, help_text, kind))


def _exists(conn: psycopg.Connection, relation: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]


def _pipeline(conn: psycopg.Connection, reg: Registry) -> None:
    if _exists(conn, "control.load"):
        loaded = reg.metric("vaxdw_load_rows_loaded_total", "Rows loaded into raw, by source table", "counter")
        quarantined = reg.metric("vaxdw_load_rows_quarantined_total", "Rows set aside in quarantine", "counter")
        failures = reg.metric("vaxdw_load_failures_total", "Failed loads, by source table", "counter")
        last = reg.metric("vaxdw_load_last_success_timestamp_seconds", "End of the last successful load")
        watermark = reg.metric("vaxdw_source_watermark_timestamp_seconds",
                               "Highest source updated_at loaded (Asia/Shanghai wall clock as epoch)")
        rows = conn.execute(
            """
            select table_name,
                   coalesce(sum(rows_loaded) filter (where status = 'succeeded'), 0),
                   coalesce(sum(rows_quarantined) filter (where status = 'succeeded'), 0),
                   count(*) filter (where status = 'failed'),
                   extract(epoch from max(finished_at) filter (where status = 'succeeded')),
                   extract(epoch from max(watermark_to at time zone 'Asia/Shanghai') filter (where status = 'succeeded'))
            from control.load group by table_name order by table_name
            """
        ).fetchall()
        for table, n_loaded, n_quar, n_failed, last_at, wm in rows:
            loaded.add(n_loaded, table=table)
            quarantined.add(n_quar, table=table)
            failures.add(n_failed, table=table)
            last.add(last_at, table=table)
            watermark.add(wm, table=table)
    if _exists(conn, "control.pipeline_step"):
        built = conn.execute(
            "select extract(epoch from max(finished_at)) from control.pipeline_step where step = 'transform'"
        ).fetchone()[0]
        marts = conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall()
        fresh = reg.metric("vaxdw_mart_last_build_timestamp_seconds",
                           "When the mart was last rebuilt by a successful dbt build (transform step)")
        age = reg.metric("vaxdw_mart_freshness_seconds", "Seconds since the mart was last rebuilt")
        now = conn.execute("select extract(epoch from now())").fetchone()[0]
        for (mart,) in marts:
            fresh.add(built, mart=mart)
            age.add(None if built is None else float(now) - float(built), mart=mart)
        runs = reg.metric("vaxdw_pipeline_steps_total", "Pipeline steps recorded, by step", "counter")
        for step, count in conn.execute("select step, count(*) from control.pipeline_step group by 1 order by 1"):
            runs.add(count, step=step)
    if _exists(conn, "dq.check_run"):
        latest = conn.execute(
            "select run_id, status, extract(epoch from finished_at) from dq.check_run "
            "where status <> 'running' order by run_id desc limit 1"
        ).fetchone()
        if latest:
            run_id, status, finished = latest
            reg.metric("vaxdw_dq_last_run_timestamp_seconds", "When the last quality check run finished").add(finished)
            reg.metric("vaxdw_dq_last_run_failed", "1 if the last check run failed or errored").add(
                1 if status in ("failed", "error") else 0)
            failed = reg.metric("vaxdw_dq_failed_rows", "Rows failing each rule in the last check run (anomalies)")
            rules_failed = reg.metric("vaxdw_dq_rules_failed", "Rules failing in the last check run, by severity")
            by_severity: dict[str, int] = {}
            for rule_id, table, severity, n_failed, success in conn.execute(
                "select rule_id, table_name, severity, rows_failed, success from dq.check_result "
                "where run_id = %s order by rule_id", (run_id,)
            ):
                failed.add(n_failed, rule_id=rule_id, table=table, severity=severity)
                by_severity[severity] = by_severity.get(severity, 0) + (0 if success else 1)
            for severity, count in sorted(by_severity.items()):
                rules_failed.add(count, severity=severity)
    if _exists(conn, EXCHANGE_TABLE):
        try:
            rows = conn.execute(f"select status, count(*) from {EXCHANGE_TABLE} group by 1").fetchall()
            total = sum(count for _, count in rows)
            ok = sum(count for status, count in rows if status in ("succeeded", "success", "accepted"))
            reg.metric("vaxdw_exchange_uploads_total", "Uploads to national systems, by status", "counter")
            for status, count in rows:
                reg.metrics["vaxdw_exchange_uploads_total"].add(count, status=status)
            reg.metric("vaxdw_exchange_upload_success_ratio", "Share of uploads that succeeded").add(
                ok / total if total else None)
        except psycopg.Error as exc:  # the other branch's columns may differ: report, don't break /metrics
            conn.rollback()
            log.warning("exchange metrics unavailable: %s", exc)
    if _exists(conn, "monitor.alert_event"):
        open_alerts = reg.metric("vaxdw_alerts_open", "Open (unresolved) alerts, by severity")
        counts = dict(conn.execute(
            "select severity, count(*) from monitor.alert_event where resolved_at is null group by 1").fetchall())
        for severity in ("critical", "warning", "info"):
            open_alerts.add(counts.get(severity, 0), severity=severity)
    if _exists(conn, "monitor.backup_run"):
        last_ok = reg.metric("vaxdw_backup_last_success_timestamp_seconds", "Last successful backup, by kind")
        for kind, at in conn.execute(
            "select kind, extract(epoch from max(finished_at)) from monitor.backup_run "
            "where status = 'succeeded' group by 1 order by 1"
        ):
            last_ok.add(at, kind=kind)
    if _exists(conn, "monitor.restore_check"):
        row = conn.execute(
            "select ok, extract(epoch from checked_at) from monitor.restore_check order by check_id desc limit 1"
        ).fetchone()
        if row:
            reg.metric("vaxdw_restore_verify_ok", "1 if the last restore verification matched").add(1 if row[0] else 0)
            reg.metric("vaxdw_restore_verify_timestamp_seconds", "When the last restore verification ran").add(row[1])


COLDCHAIN_OPEN_SQL = """
with latest as (
    select distinct on (vendor, device_id) vendor, device_id, coalesce(city_name, '未知') as city, is_out_of_range
    from marts.fct_coldchain_readings
    order by vendor, device_id, measured_at desc
),
current_excursion as (
    select latest.city, excursion.is_alert
    from latest
    cross join lateral (
        select is_alert from marts.rpt_coldchain_excursions as e
        where e.vendor = latest.vendor and e.device_id = latest.device_id
        order by e.started_at desc limit 1
    ) as excursion
    where latest.is_out_of_range
)
select city, count(*), count(*) filter (where is_alert) from current_excursion group by city
"""


def _coldchain(conn: psycopg.Connection, reg: Registry) -> None:
    """Cold-chain supervision from the marts (rpt_coldchain_*), per city: devices, devices that stopped
    reporting, excursions still going on (the device's latest reading is out of range) and how many of
    those already last past the alert threshold (dbt var coldchain_excursion_minutes)."""
    if not all(_exists(conn, f"marts.{name}") for name in
               ("rpt_coldchain_devices", "rpt_coldchain_excursions", "fct_coldchain_readings")):
        return
    devices = reg.metric("vaxdw_coldchain_devices", "Cold-chain devices known to the feeds, by city")
    silent = reg.metric("vaxdw_coldchain_devices_not_reporting",
                        "Cold-chain devices that stopped reporting (silent past coldchain_stopped_minutes), by city")
    open_now = reg.metric("vaxdw_coldchain_open_excursions",
                          "Temperature excursions still going on (latest reading out of range), by city")
    open_alerts = reg.metric("vaxdw_coldchain_open_excursion_alerts",
                             "Ongoing excursions already longer than the alert threshold, by city")
    alerting = reg.metric("vaxdw_coldchain_alert_excursions",
                          "Excursions in the feed window that lasted past the alert threshold, by city")
    by_city = {city: (n, n_silent) for city, n, n_silent in conn.execute(
        "select coalesce(city_name, '未知'), count(*), count(*) filter (where is_stopped) "
        "from marts.rpt_coldchain_devices group by 1 order by 1")}
    current = {city: (n, n_alert) for city, n, n_alert in conn.execute(COLDCHAIN_OPEN_SQL)}
    past = dict(conn.execute("select coalesce(city_name, '未知'), count(*) filter (where is_alert) "
                             "from marts.rpt_coldchain_excursions group by 1").fetchall())
    for city in sorted(set(by_city) | set(current)):
        n, n_silent = by_city.get(city, (0, 0))
        devices.add(n, city=city)
        silent.add(n_silent, city=city)
        open_now.add(current.get(city, (0, 0))[0], city=city)
        open_alerts.add(current.get(city, (0, 0))[1], city=city)
        alerting.add(past.get(city, 0), city=city)
    last = conn.execute("select extract(epoch from max(measured_at)) from marts.fct_coldchain_readings").fetchone()[0]
    reg.metric("vaxdw_coldchain_last_reading_timestamp_seconds", "Latest temperature reading in the feeds").add(last)


def _postgres(conn: psycopg.Connection, reg: Registry) -> None:
    reg.metric("vaxdw_pg_up", "1 if the warehouse database answered").add(1)
    connections = reg.metric("vaxdw_pg_connections", "Backends by database and state")
    for datname, state, count in conn.execute(
        "select coalesce(datname, ''), coalesce(state, 'background'), count(*) from pg_stat_activity "
        "group by 1, 2 order by 1, 2"
    ):
        connections.add(count, datname=datname, state=state)
    reg.metric("vaxdw_pg_max_connections", "max_connections setting").add(
        conn.execute("select setting::int from pg_settings where name = 'max_connections'").fetchone()[0])
    size = reg.metric("vaxdw_pg_database_size_bytes", "Size of each database")
    for datname, nbytes in conn.execute(
        "select datname, pg_database_size(oid) from pg_database where not datistemplate order by 1"
    ):
        size.add(nbytes, datname=datname)
    table_size = reg.metric("vaxdw_pg_table_size_bytes", "Total size (with indexes, toast) of the 50 largest tables")
    dead = reg.metric("vaxdw_pg_table_dead_tuples", "Dead tuples (bloat indicator) of the 50 largest tables")
    for schema, table, nbytes, n_dead in conn.execute(
        "select schemaname, relname, pg_total_relation_size(relid), n_dead_tup from pg_stat_user_tables "
        "order by pg_total_relation_size(relid) desc limit 50"
    ):
        table_size.add(nbytes, schema=schema, table=table)
        dead.add(n_dead, schema=schema, table=table)
    hit, read = conn.execute(
        "select sum(blks_hit), sum(blks_read) from pg_stat_database where datname = current_database()"
    ).fetchone()
    total = float(hit or 0) + float(read or 0)
    reg.metric("vaxdw_pg_cache_hit_ratio", "Buffer cache hit ratio of this database").add(
        float(hit or 0) / total if total else 1.0)
    locks = reg.metric("vaxdw_pg_locks", "Locks held or awaited, by mode")
    for mode, count in conn.execute("select mode, count(*) from pg_locks group by 1 order by 1"):
        locks.add(count, mode=mode)
    reg.metric("vaxdw_pg_locks_waiting", "Lock requests not yet granted").add(
        conn.execute("select count(*) from pg_locks where not granted").fetchone()[0])
    reg.metric("vaxdw_pg_long_running_queries", f"Active queries running longer than {SLOW_QUERY_MS} ms").add(
        conn.execute(
            "select count(*) from pg_stat_activity where state = 'active' "
            "and now() - query_start > make_interval(secs => %s)", (SLOW_QUERY_MS / 1000,)
        ).fetchone()[0])
    archiver = conn.execute(
        "select archived_count, failed_count, extract(epoch from last_archived_time) from pg_stat_archiver"
    ).fetchone()
    reg.metric("vaxdw_pg_wal_archived_total", "WAL files archived", "counter").add(archiver[0])
    reg.metric("vaxdw_pg_wal_archive_failed_total", "WAL archive failures", "counter").add(archiver[1])
    has_pgss = _exists(conn, "pg_stat_statements")
    reg.metric("vaxdw_pg_stat_statements_available", "1 if pg_stat_statements is installed").add(1 if has_pgss else 0)
    if has_pgss:
        try:
            reg.metric("vaxdw_pg_slow_statements", f"Statements with mean time above {SLOW_QUERY_MS} ms").add(
                conn.execute("select count(*) from pg_stat_statements where mean_exec_time > %s",
                             (SLOW_QUERY_MS,)).fetchone()[0])
        except psycopg.Error:  # extension present but not preloaded
            conn.rollback()


def collect(warehouse: PgParams) -> Registry:
    reg = Registry()
    try:
        with connect(warehouse, autocommit=True) as conn:
            _pipeline(conn, reg)
            _coldchain(conn, reg)
            _postgres(conn, reg)
    except psycopg.OperationalError as exc:
        log.error("warehouse unreachable: %s", exc)
        reg.metric("vaxdw_pg_up", "1 if the warehouse database answered").add(0)
    return reg


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render(reg: Registry) -> str:
    lines = []
    for metric in reg.metrics.values():
        lines.append(f"# HELP {metric.name} {metric.help}")
        lines.append(f"# TYPE {metric.name} {metric.kind}")
        for labels, value in metric.samples:
            label_text = ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items())
            lines.append(f"{metric.name}{{{label_text}}} {value!r}" if label_text else f"{metric.name} {value!r}")
    return "\n".join(lines) + "\n"
