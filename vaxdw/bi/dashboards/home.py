"""首页: where each report is (dashboards, Excel statements, definitions)."""

from __future__ import annotations

from vaxdw.bi.specs import Chart, Dashboard

HOME_SLUG = "home"


def home_dashboard(families: list[Dashboard]) -> Dashboard:
    lines = [
        "# 陕西省免疫规划数据仓库 · 报表导航",
        "",
        "各报表的看板如下。看板上方的筛选器可按 **市 → 县(区) → 乡镇(街道) → 接种单位** 逐级选择,"
        "并按日期、疫苗、在册情况等筛选;点击图表中的数字可钻取到明细(“钻取到详情”)。"
        "您只能看到本人权限范围(地区、疫苗)内的数据,导出的 CSV/Excel 同样受此限制;"
        "疫苗专项账号(狂犬病、出血热)只能看到含疫苗信息的报表中本疫苗的数据,"
        "全省合计类报表(数据质量检查、数据交换)仅省级账号可见。",
        "",
        "| 看板 | 包含的报表 | 内容 |",
        "|---|---|---|",
    ]
    for board in families:
        reports = "、".join(board.reports) or board.title
        lines.append(f"| [{board.title}](/superset/dashboard/{board.slug}/) | {reports} | {board.description} |")
    lines += [
        "",
        "## 按报表查找",
        "",
        "| 报表 | 所在看板 |",
        "|---|---|",
    ]
    for board in families:
        for report in board.reports or (board.title,):
            lines.append(f"| {report} | [{board.title}](/superset/dashboard/{board.slug}/) |")
    lines += [
        "",
        "## 正式报表(Excel)",
        "",
        "按统计口径生成的 Excel 报表由每日流水线写入输出目录(默认 `out/`),"
        "也可用命令行导出,例如 `vaxdw export shizhong --level county --region 610100`。"
        "各报表的定义(人群、分子、分母、日期口径)见 `docs/reports.md`。",
        "",
        "## 数据时效",
        "",
        "数据每日由流水线抽取、清洗、建模后更新;数据质量问题见“数据质量”看板。",
    ]
    return Dashboard(
        slug=HOME_SLUG, title="首页 · 报表导航", description="各报表所在位置", markdown="\n".join(lines), order=0,
        # Also what makes the page visible to analysts: a dashboard is shown to users who can read one of
        # its datasets. Shows how current the data in the user's own scope is.
        rows=((Chart("freshness", "数据截至(本人权限范围)", "rpt_shizhong", "table", ("latest_date", "doses"),
                     width=12, height=20),),),
    )
