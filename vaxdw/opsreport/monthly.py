"""运维月报: one month of pipeline runs, durations and their trend, data volumes, quality, exchange,
alerts, backups and restore checks, inspection findings and capacity, as an Excel workbook with charts.

Month boundaries are Asia/Shanghai calendar days. Every section reads its table only if it exists
(exchange uploads come from another component), and says so in the workbook when it does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils.dataframe import dataframe_to_rows

from vaxdw.db import PgParams, connect

# per target, category and day: sent = accepted + rejected + in flight (vaxdw.exchange.schema)
EXCHANGE_VIEW = "exchange.reconciliation"
# the steps of a complete vaxdw_main run (control.pipeline_step)
MAIN_STEPS = ("extract_load", "transform", "check_quality", "export_statements")


@dataclass
class MonthlyOps:
    year: int
    month: int
    sections: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    summary: dict[str, object] = field(default_factory=dict)


def _bounds(year: int, month: int) -> tuple[str, str]:
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return f"{start} 00:00:00+08", f"{end} 00:00:00+08"


def _exists(conn, relation: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]


def _frame(conn, sql: str, params: dict, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(conn.execute(sql, params).fetchall(), columns=columns)


def collect_month(warehouse: PgParams, year: int, month: int) -> MonthlyOps:
    start, end = _bounds(year, month)
    p = {"start": start, "end": end, "expected": list(MAIN_STEPS)}
    report = MonthlyOps(year, month)
    s = report.sections
    with connect(warehouse) as conn:
        if _exists(conn, "control.load") and _exists(conn, "control.pipeline_step"):
            s["管道运行"] = _frame(conn, """
                with loads as (
                    select pipeline_run_id, min(started_at) as started_at,
                           count(*) filter (where status = 'failed') as failed_loads
                    from control.load where started_at >= %(start)s and started_at < %(end)s
                      and pipeline_run_id is not null
                    group by 1
                ), steps as (
                    select pipeline_run_id, max(finished_at) as finished_at, array_agg(step) as steps
                    from control.pipeline_step group by 1
                )
                select loads.pipeline_run_id, to_char(loads.started_at, 'YYYY-MM-DD HH24:MI'),
                       round((extract(epoch from steps.finished_at - loads.started_at) / 60)::numeric, 2)::float,
                       coalesce(cardinality(steps.steps), 0), loads.failed_loads,
                       case when loads.failed_loads > 0 then '有失败抽取'
                            when cardinality(missing.steps) > 0 then '未完成：缺 ' || array_to_string(missing.steps, '、')
                            else '成功' end
                from loads
                left join steps using (pipeline_run_id)
                cross join lateral (
                    select array_agg(expected order by ord) as steps
                    from unnest(%(expected)s::text[]) with ordinality as e (expected, ord)
                    where expected <> all (coalesce(steps.steps, '{}'))
                ) as missing
                order by loads.started_at
                """, p, ["运行", "开始时间", "耗时（分钟）", "完成步骤数", "失败抽取数", "结果"])
            s["数据量"] = _frame(conn, """
                select to_char(finished_at, 'YYYY-MM-DD'), sum(rows_read)::bigint, sum(rows_loaded)::bigint,
                       sum(rows_quarantined)::bigint, count(*) filter (where status = 'failed')
                from control.load where finished_at >= %(start)s and finished_at < %(end)s
                group by 1 order by 1
                """, p, ["日期", "读取行数", "入库行数", "隔离行数", "失败批次"])
        if _exists(conn, "dq.check_run"):
            s["质量检查"] = _frame(conn, """
                select r.rule_id, max(r.table_name), max(r.severity), count(*), count(*) filter (where not r.success),
                       sum(r.rows_failed)::bigint
                from dq.check_result as r join dq.check_run as c using (run_id)
                where c.started_at >= %(start)s and c.started_at < %(end)s
                group by 1 order by 6 desc, 1
                """, p, ["规则", "表", "级别", "检查次数", "未通过次数", "异常行数合计"])
        if _exists(conn, EXCHANGE_VIEW):
            s["数据交换"] = _frame(conn, f"""
                select target, category, sum(sent)::bigint, sum(accepted)::bigint, sum(rejected)::bigint,
                       sum(in_flight)::bigint, sum(status_mismatches)::bigint,
                       round(100.0 * sum(accepted) / nullif(sum(sent), 0), 2)::float
                from {EXCHANGE_VIEW}
                where sent_date >= (%(start)s::timestamptz at time zone 'Asia/Shanghai')::date
                  and sent_date < (%(end)s::timestamptz at time zone 'Asia/Shanghai')::date
                group by 1, 2 order by 1, 2
                """, p, ["目标系统", "类别", "已发送", "已接收", "被拒绝", "在途", "状态不一致", "接收率（%）"])
        else:
            report.notes["数据交换"] = f"本环境没有数据交换记录（{EXCHANGE_VIEW} 不存在）"
        if _exists(conn, "monitor.alert_event"):
            s["告警"] = _frame(conn, """
                select source, severity, count(*), count(*) filter (where resolved_at is not null),
                       round(avg(extract(epoch from resolved_at - first_seen) / 60)::numeric, 1)::float
                from monitor.alert_event where first_seen >= %(start)s and first_seen < %(end)s
                group by 1, 2 order by 1, 2
                """, p, ["来源", "级别", "发生", "已恢复", "平均恢复时长（分钟）"])
        if _exists(conn, "monitor.backup_run"):
            s["备份"] = _frame(conn, """
                select backup_id, kind, status, to_char(finished_at, 'YYYY-MM-DD HH24:MI'),
                       round(coalesce(bytes, 0) / 1048576.0, 2)::float, error
                from monitor.backup_run where finished_at >= %(start)s and finished_at < %(end)s order by finished_at
                """, p, ["备份", "类型", "结果", "完成时间", "大小（MiB）", "错误"])
        if _exists(conn, "monitor.restore_check"):
            s["恢复校验"] = _frame(conn, """
                select to_char(checked_at, 'YYYY-MM-DD HH24:MI'), backup_id, tables_compared,
                       case when ok then '通过' else '失败' end, jsonb_array_length(mismatches)
                from monitor.restore_check where checked_at >= %(start)s and checked_at < %(end)s order by checked_at
                """, p, ["校验时间", "备份", "比较表数", "结果", "不一致数"])
        if _exists(conn, "monitor.inspection"):
            s["巡检"] = _frame(conn, """
                select to_char(inspected_at, 'YYYY-MM-DD HH24:MI'), round(cpu_percent::numeric, 1)::float,
                       round(memory_percent::numeric, 1)::float,
                       round((100.0 * disk_used_bytes / nullif(disk_total_bytes, 0))::numeric, 1)::float,
                       round(database_size_bytes / 1048576.0, 1)::float, jsonb_array_length(findings),
                       coalesce((select string_agg(f ->> 'message_zh', '；') from jsonb_array_elements(findings) f), '')
                from monitor.inspection where inspected_at >= %(start)s and inspected_at < %(end)s order by 1
                """, p, ["巡检时间", "CPU%", "内存%", "磁盘%", "数据库（MiB）", "发现数", "发现"])
            latest = conn.execute(
                "select database_size_bytes, growth_bytes_per_day, exhaustion_date from monitor.inspection "
                "where inspected_at < %(end)s order by inspected_at desc limit 1", p).fetchone()
            if latest:
                report.summary["数据库大小（MiB）"] = round(latest[0] / 2**20, 1)
                report.summary["日增长（MiB/天）"] = None if latest[1] is None else round(latest[1] / 2**20, 3)
                report.summary["预计磁盘耗尽日期"] = str(latest[2]) if latest[2] else "不增长或历史不足"
    runs = s.get("管道运行", pd.DataFrame())
    volume = s.get("数据量", pd.DataFrame())
    alerts = s.get("告警", pd.DataFrame())
    exchange = s.get("数据交换", pd.DataFrame())
    report.summary = {
        "月份": f"{year}年{month}月",
        "管道运行次数": len(runs),
        "失败或未完成运行": int((runs["结果"] != "成功").sum()) if len(runs) else 0,
        "入库行数": int(volume["入库行数"].sum()) if len(volume) else 0,
        "隔离行数": int(volume["隔离行数"].sum()) if len(volume) else 0,
        "告警发生": int(alerts["发生"].sum()) if len(alerts) else 0,
        "告警已恢复": int(alerts["已恢复"].sum()) if len(alerts) else 0,
        "备份次数": len(s.get("备份", [])),
        "恢复校验次数": len(s.get("恢复校验", [])),
        "交换发送记录": int(exchange["已发送"].sum()) if len(exchange) else 0,
        "交换被拒记录": int(exchange["被拒绝"].sum()) if len(exchange) else 0,
        **report.summary,
    }
    return report


def _sheet(wb: Workbook, title: str, frame: pd.DataFrame | None, note: str | None = None):
    ws = wb.create_sheet(title)
    if frame is None or frame.empty:
        ws.append([note or "本月无记录"])
        return ws
    for row in dataframe_to_rows(frame, index=False, header=True):
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for column in ws.columns:
        ws.column_dimensions[column[0].column_letter].width = max(12, min(60, 2 + max(
            len(str(c.value or "")) * 2 for c in column)))
    return ws


def write_monthly(warehouse: PgParams, out_dir: Path, year: int, month: int) -> Path:
    report = collect_month(warehouse, year, month)
    wb = Workbook()
    summary = wb.active
    summary.title = "概要"
    summary.append([f"陕西省免疫规划数据仓库 运维月报（{year}年{month}月）"])
    summary["A1"].font = Font(bold=True, size=14)
    for key, value in report.summary.items():
        summary.append([key, value])
    for key, value in report.notes.items():
        summary.append([key, value])
    summary.column_dimensions["A"].width = 22
    summary.column_dimensions["B"].width = 40

    s = report.sections
    runs = _sheet(wb, "管道运行", s.get("管道运行"))
    if s.get("管道运行") is not None and len(s["管道运行"]):
        chart = LineChart()
        chart.title, chart.y_axis.title, chart.x_axis.title = "管道运行耗时趋势", "分钟", "运行"
        n = len(s["管道运行"]) + 1
        chart.add_data(Reference(runs, min_col=3, min_row=1, max_row=n), titles_from_data=True)
        chart.set_categories(Reference(runs, min_col=2, min_row=2, max_row=n))
        runs.add_chart(chart, "H2")
    volume = _sheet(wb, "数据量", s.get("数据量"))
    if s.get("数据量") is not None and len(s["数据量"]):
        chart = BarChart()
        chart.title, chart.y_axis.title = "每日入库与隔离行数", "行数"
        n = len(s["数据量"]) + 1
        chart.add_data(Reference(volume, min_col=3, max_col=4, min_row=1, max_row=n), titles_from_data=True)
        chart.set_categories(Reference(volume, min_col=1, min_row=2, max_row=n))
        volume.add_chart(chart, "H2")
    _sheet(wb, "质量检查", s.get("质量检查"))
    _sheet(wb, "数据交换", s.get("数据交换"), report.notes.get("数据交换"))
    alerts = _sheet(wb, "告警", s.get("告警"))
    if s.get("告警") is not None and len(s["告警"]):
        chart = BarChart()
        chart.title = "告警发生与恢复"
        n = len(s["告警"]) + 1
        chart.add_data(Reference(alerts, min_col=3, max_col=4, min_row=1, max_row=n), titles_from_data=True)
        chart.set_categories(Reference(alerts, min_col=1, max_col=2, min_row=2, max_row=n))
        alerts.add_chart(chart, "H2")
    _sheet(wb, "备份", s.get("备份"))
    _sheet(wb, "恢复校验", s.get("恢复校验"))
    _sheet(wb, "巡检", s.get("巡检"))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"运维月报_{year}{month:02d}.xlsx"
    wb.save(path)
    return path
