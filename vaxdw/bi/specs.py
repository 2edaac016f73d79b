"""Dashboard specs: what a report family's dashboard shows, in a few lines of Python.

A family module (``vaxdw/bi/dashboards/<family>.py``) defines ``DATASETS`` (list of :class:`Dataset`)
and ``DASHBOARD`` (a :class:`Dashboard`). ``vaxdw.bi.generate`` turns them into Superset's import
format; column types are read from the warehouse, Chinese labels from the dbt YAML.

Region scope (RLS) works on the columns a dataset names in ``region_columns`` (level → column; the key
``region``, when present, names a column already holding the row's most specific region code, as the
traceability marts' ``region_code``) and the vaccine scope on ``vaccine_column`` (vaccine codes, or
category codes; a category is the first two digits).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

UUID_NAMESPACE = uuid.UUID("5b0c1f0e-7a53-4c61-9a55-76617864770a")

# Region columns shared by every region-scoped dataset (so native filters and RLS clauses line up).
UNIT_REGION_COLUMNS = {
    "city": "unit_city_code",
    "county": "unit_county_code",
    "township": "unit_township_code",
    "unit": "unit_id",
}


def stable_uuid(kind: str, key: str) -> str:
    return str(uuid.uuid5(UUID_NAMESPACE, f"vaxdw:{kind}:{key}"))


@dataclass(frozen=True)
class Metric:
    name: str
    expression: str
    label: str
    d3format: str | None = None  # ",d" counts, ".1%" rates (cast rates to float in the expression)


@dataclass(frozen=True)
class Dataset:
    """A Superset dataset: a mart table (``sql`` None) or a SQL view over marts (virtual)."""

    name: str
    schema: str
    description: str
    sql: str | None = None
    label_models: tuple[str, ...] = ()  # dbt models whose label_zh name the columns
    labels: dict[str, str] = field(default_factory=dict)  # extra / overriding labels
    metrics: tuple[Metric, ...] = ()
    time_column: str | None = None
    region_columns: dict[str, str] = field(default_factory=dict)
    vaccine_column: str | None = None

    @property
    def uuid(self) -> str:
        return stable_uuid("dataset", self.name)


@dataclass(frozen=True)
class Chart:
    key: str  # stable identity (UUID seed), unique within the dashboard
    title: str
    dataset: str
    viz: str  # big_number | bar | line | table | detail | pivot
    metrics: tuple[str, ...] = ()
    groupby: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()  # pivot columns / detail columns
    time_grain: str = "P1M"
    row_limit: int = 1000
    width: int = 4
    height: int = 50
    description: str = ""


@dataclass(frozen=True)
class NativeFilter:
    key: str
    title: str
    kind: str  # select | time
    dataset: str | None = None
    column: str | None = None
    parent: str | None = None  # key of the filter this one cascades from
    multi: bool = True


@dataclass(frozen=True)
class Dashboard:
    slug: str
    title: str
    description: str  # one paragraph for the front page: what is here, which report it mirrors
    rows: tuple[tuple[Chart, ...], ...] = ()
    filters: tuple[NativeFilter, ...] = ()
    markdown: str | None = None  # a text-only dashboard (the front page)
    order: int = 100
    reports: tuple[str, ...] = ()  # the reports (statements) this dashboard shows, for the front page

    @property
    def uuid(self) -> str:
        return stable_uuid("dashboard", self.slug)

    @property
    def charts(self) -> list[Chart]:
        return [chart for row in self.rows for chart in row]


def ratio_of_sums(numerator: str, *denominators: str) -> str:
    """A rate metric as sum(numerator) / sum(denominator(s)), in float, null when the denominator is 0:
    additive counts summed first, so the rate is right at every region level and over any date range."""
    below = " + ".join(f"sum({d})" for d in denominators)
    return f"(sum({numerator}))::float / nullif({below}, 0)::float"


def chart_uuid(dashboard: Dashboard, chart: Chart) -> str:
    return stable_uuid("chart", f"{dashboard.slug}/{chart.key}")


def region_filters(dataset: str, prefix: str = "region") -> tuple[NativeFilter, ...]:
    """Cascading 市 → 县(区) → 乡镇(街道) → 接种单位 filters on the unit_* name columns."""
    levels = [
        ("city", "市", "unit_city_name"),
        ("county", "县(区)", "unit_county_name"),
        ("township", "乡镇(街道)", "unit_township_name"),
        ("unit", "接种单位", "unit_name"),
    ]
    out: list[NativeFilter] = []
    parent = None
    for level, title, column in levels:
        key = f"{prefix}-{level}"
        out.append(NativeFilter(key, title, "select", dataset, column, parent))
        parent = key
    return tuple(out)


def _metric_ref(name: str) -> str:
    return name  # saved metrics are referenced by name


def _time_filter(time_column: str | None) -> list[dict[str, Any]]:
    if not time_column:
        return []
    return [{
        "clause": "WHERE", "comparator": "No filter", "expressionType": "SIMPLE",
        "operator": "TEMPORAL_RANGE", "subject": time_column,
    }]


def _axis_format(chart: Chart, dataset: Dataset) -> str:
    """A rate axis (every metric of the chart a percentage) reads as percentages, else Superset's default."""
    formats = {m.name: m.d3format for m in dataset.metrics}
    chosen = [formats.get(name) or "" for name in chart.metrics]
    return chosen[0] if chosen and all(f.endswith("%") for f in chosen) else "SMART_NUMBER"


def form_data_and_queries(chart: Chart, dataset: Dataset) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Superset ``params`` (form data) and the ``query_context`` queries of a chart."""
    metrics = [_metric_ref(m) for m in chart.metrics]
    axis_format = _axis_format(chart, dataset)
    adhoc = _time_filter(dataset.time_column)
    query_filters = (
        [{"col": dataset.time_column, "op": "TEMPORAL_RANGE", "val": "No filter"}]
        if dataset.time_column else []
    )
    base = {"adhoc_filters": adhoc, "extra_form_data": {}, "dashboards": []}
    query: dict[str, Any] = {
        "filters": query_filters, "extras": {"having": "", "where": ""}, "applied_time_extras": {},
        "columns": [], "metrics": metrics, "orderby": [], "annotation_layers": [],
        "row_limit": chart.row_limit, "series_limit": 0, "order_desc": True, "url_params": {},
        "custom_params": {}, "custom_form_data": {},
    }
    if chart.viz == "big_number":
        form = {"viz_type": "big_number_total", "metric": metrics[0], "header_font_size": 0.4,
                "subheader_font_size": 0.15, "y_axis_format": "SMART_NUMBER", "time_format": "smart_date"}
        query["row_limit"] = 1
    elif chart.viz == "bar":
        form = {"viz_type": "echarts_timeseries_bar", "x_axis": chart.groupby[0], "metrics": metrics,
                "groupby": list(chart.groupby[1:]), "orientation": "vertical", "x_axis_sort_asc": True,
                "x_axis_sort_series": "name", "row_limit": chart.row_limit, "show_legend": True,
                "rich_tooltip": True, "y_axis_format": axis_format, "truncate_metric": True,
                "show_value": True, "order_desc": True}
        query["columns"] = list(chart.groupby)
        query["orderby"] = [[metrics[0], False]]
    elif chart.viz == "line":
        time_col = chart.groupby[0]
        form = {"viz_type": "echarts_timeseries_line", "x_axis": time_col, "time_grain_sqla": chart.time_grain,
                "metrics": metrics, "groupby": list(chart.groupby[1:]), "row_limit": chart.row_limit,
                "show_legend": True, "rich_tooltip": True, "y_axis_format": axis_format,
                "markerEnabled": True, "x_axis_time_format": "smart_date"}
        query["columns"] = [{"columnType": "BASE_AXIS", "sqlExpression": time_col, "label": time_col,
                             "expressionType": "SQL", "timeGrain": chart.time_grain}, *chart.groupby[1:]]
        query["orderby"] = [[time_col, True]]
        query["is_timeseries"] = False
    elif chart.viz == "table":
        form = {"viz_type": "table", "query_mode": "aggregate", "groupby": list(chart.groupby),
                "metrics": metrics, "all_columns": [], "percent_metrics": [], "order_desc": True,
                "row_limit": chart.row_limit, "table_timestamp_format": "%Y-%m-%d", "show_cell_bars": True,
                "allow_render_html": False, "server_pagination": False, "include_search": True}
        if metrics:
            form["timeseries_limit_metric"] = metrics[0]
            query["orderby"] = [[metrics[0], False]]
        query["columns"] = list(chart.groupby)
    elif chart.viz == "detail":
        form = {"viz_type": "table", "query_mode": "raw", "all_columns": list(chart.columns),
                "groupby": [], "metrics": [], "percent_metrics": [],
                # the browser builds its query from these (JSON.stringify of [column, ascending]), not from
                # query_context: without them detail rows come back in whatever order the plan gives
                "order_by_cols": [json.dumps([chart.columns[0], False], separators=(",", ":"))],
                "row_limit": chart.row_limit, "table_timestamp_format": "%Y-%m-%d", "include_search": True,
                "server_pagination": False, "allow_render_html": False}
        query["columns"] = list(chart.columns)
        query["metrics"] = []
        query["orderby"] = [[chart.columns[0], False]]
    elif chart.viz == "pivot":
        form = {"viz_type": "pivot_table_v2", "groupbyRows": list(chart.groupby),
                "groupbyColumns": list(chart.columns), "metrics": metrics, "aggregateFunction": "Sum",
                "metricsLayout": "COLUMNS", "rowTotals": True, "colTotals": True, "valueFormat": "SMART_NUMBER",
                "row_limit": chart.row_limit, "order_desc": True, "combineMetric": False,
                "date_format": "smart_date", "rowOrder": "key_a_to_z", "colOrder": "key_a_to_z"}
        query["columns"] = [*chart.groupby, *chart.columns]
    else:
        raise ValueError(f"unknown viz {chart.viz!r} in chart {chart.key}")
    return {**base, **form}, [query]
