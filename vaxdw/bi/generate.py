"""Dashboard specs → ``superset_assets/`` (Superset's v1 import format), reviewed in git.

Column types come from the warehouse (``select * from (<dataset sql>) limit 0``), so a spec that
names a column the marts no longer have fails here, not in the browser. Chinese labels come from the
dbt YAML. Nothing environment-specific is written: the database URI is the placeholder
:data:`URI_PLACEHOLDER`, filled in by :mod:`vaxdw.bi.bundle` at import time.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import psycopg
import yaml

from vaxdw.bi.dashboards import all_dashboards, all_datasets
from vaxdw.bi.labels import column_labels
from vaxdw.bi.server import ensure_sources
from vaxdw.bi.specs import (
    Chart,
    Dashboard,
    Dataset,
    NativeFilter,
    chart_uuid,
    form_data_and_queries,
    stable_uuid,
)
from vaxdw.db import PgParams, connect
from vaxdw.settings import PROJECT_ROOT

ASSETS_DIR = PROJECT_ROOT / "superset_assets"
DATABASE_NAME = "vaxdw_warehouse"
DATABASE_UUID = stable_uuid("database", DATABASE_NAME)
URI_PLACEHOLDER = "postgresql+psycopg2://VAXDW_READER@VAXDW_WAREHOUSE/vaxdw_warehouse"
VERSION = "1.0.0"

_PG_TYPES = {
    "text": "TEXT", "varchar": "VARCHAR", "bpchar": "CHAR", "int2": "SMALLINT", "int4": "INTEGER",
    "int8": "BIGINT", "numeric": "NUMERIC", "float4": "REAL", "float8": "DOUBLE PRECISION", "bool": "BOOLEAN",
    "date": "DATE", "timestamp": "TIMESTAMP WITHOUT TIME ZONE", "timestamptz": "TIMESTAMP WITH TIME ZONE",
    "jsonb": "JSONB", "json": "JSON", "uuid": "UUID",
}
_TEMPORAL = {"DATE", "TIMESTAMP WITHOUT TIME ZONE", "TIMESTAMP WITH TIME ZONE"}


def dataset_columns(conn: psycopg.Connection, dataset: Dataset) -> list[tuple[str, str]]:
    """(name, Superset type) of every column the dataset's SQL returns."""
    sql = dataset.sql or f'select * from "{dataset.schema}"."{dataset.name}"'
    cur = conn.execute(f"select * from ({sql}) as q limit 0")
    out = []
    names = [col.name for col in cur.description or []]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"dataset {dataset.name}: column(s) {duplicated} returned twice")
    for col in cur.description or []:
        info = conn.adapters.types.get(col.type_code)
        out.append((col.name, _PG_TYPES.get(info.name if info else "", "TEXT")))
    return out


def check_rls_target(conn: psycopg.Connection, dataset: Dataset) -> None:
    """Superset applies a dataset's RLS clause also inside virtual SQL, to every table named like a
    dataset (same schema and name). A virtual dataset named like a warehouse table whose columns differ
    would make every scoped user's query fail; refuse it here."""
    if not dataset.sql:
        return
    table_columns = {row[0] for row in conn.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
        (dataset.schema, dataset.name))}
    scoped = set(dataset.region_columns.values()) | ({dataset.vaccine_column} if dataset.vaccine_column else set())
    if table_columns and not scoped <= table_columns:
        raise ValueError(
            f"dataset {dataset.name}: named like the table {dataset.schema}.{dataset.name}, which lacks "
            f"{sorted(scoped - table_columns)}; Superset would put the RLS clause on that table inside the "
            "SQL too: give the virtual dataset another name")


def _dump(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(text, encoding="utf-8")


def database_doc() -> dict[str, Any]:
    return {
        "database_name": DATABASE_NAME,
        "sqlalchemy_uri": URI_PLACEHOLDER,
        "cache_timeout": None,
        "expose_in_sqllab": True,
        "allow_run_async": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_file_upload": False,
        "extra": {"allows_virtual_table_explore": True},
        "uuid": DATABASE_UUID,
        "version": VERSION,
    }


def dataset_doc(dataset: Dataset, columns: list[tuple[str, str]]) -> dict[str, Any]:
    labels: dict[str, str] = {}
    for model in dataset.label_models:
        labels.update(column_labels(model))
    labels.update(dataset.labels)
    return {
        "table_name": dataset.name,
        "main_dttm_col": dataset.time_column,
        "description": dataset.description,
        "default_endpoint": None,
        "offset": 0,
        "cache_timeout": None,
        "catalog": None,
        "schema": dataset.schema,
        "sql": dataset.sql,
        "params": None,
        "template_params": None,
        "filter_select_enabled": True,
        "fetch_values_predicate": None,
        "extra": None,
        "normalize_columns": False,
        "always_filter_main_dttm": False,
        "uuid": dataset.uuid,
        "metrics": [
            {
                "metric_name": m.name, "verbose_name": m.label, "metric_type": None, "expression": m.expression,
                "description": None, "d3format": m.d3format, "currency": None, "extra": None,
                "warning_text": None,
            }
            for m in dataset.metrics
        ],
        "columns": [
            {
                "column_name": name, "verbose_name": labels.get(name), "is_dttm": type_ in _TEMPORAL,
                "is_active": True, "type": type_, "advanced_data_type": None, "groupby": True,
                "filterable": True, "expression": None, "description": None, "python_date_format": None,
                "extra": None,
            }
            for name, type_ in columns
        ],
        "version": VERSION,
        "database_uuid": DATABASE_UUID,
    }


def chart_doc(board: Dashboard, chart: Chart, dataset: Dataset) -> dict[str, Any]:
    params, queries = form_data_and_queries(chart, dataset)
    params = {"datasource": "0__table", **params}
    query_context = {
        "datasource": {"id": 0, "type": "table"},
        "force": False,
        "queries": queries,
        "form_data": params,
        "result_format": "json",
        "result_type": "full",
    }
    return {
        "slice_name": chart.title,
        "description": chart.description or None,
        "certified_by": None,
        "certification_details": None,
        "viz_type": params["viz_type"],
        "params": params,
        "query_context": json.dumps(query_context, ensure_ascii=False, sort_keys=True),
        "cache_timeout": None,
        "uuid": chart_uuid(board, chart),
        "version": VERSION,
        "dataset_uuid": dataset.uuid,
    }


def _position(board: Dashboard, chart_ids: dict[str, int]) -> dict[str, Any]:
    pos: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": board.title}},
    }
    rows: list[list[tuple[str, dict[str, Any]]]] = []
    if board.markdown:
        height = max(110, 6 * board.markdown.count("\n"))  # grid units (8 px): the text must not scroll
        rows.append([("MARKDOWN-home", {"type": "MARKDOWN", "meta": {"width": 12, "height": height,
                                                                     "code": board.markdown}})])
    for row in board.rows:
        rows.append([
            (f"CHART-{chart.key}", {"type": "CHART", "meta": {
                "chartId": chart_ids[chart.key], "width": chart.width, "height": chart.height,
                "sliceName": chart.title, "uuid": chart_uuid(board, chart)}})
            for chart in row
        ])
    for n, row in enumerate(rows, start=1):
        row_id = f"ROW-{n}"
        pos["GRID_ID"]["children"].append(row_id)
        pos[row_id] = {"type": "ROW", "id": row_id, "children": [cid for cid, _ in row],
                       "parents": ["ROOT_ID", "GRID_ID"], "meta": {"background": "BACKGROUND_TRANSPARENT"}}
        for cid, node in row:
            pos[cid] = {**node, "id": cid, "children": [], "parents": ["ROOT_ID", "GRID_ID", row_id]}
    return pos


def _native_filter(board: Dashboard, flt: NativeFilter, datasets: dict[str, Dataset],
                   columns: dict[str, set[str]], chart_ids: dict[str, int]) -> dict[str, Any]:
    fid = f"NATIVE_FILTER-{flt.key}"
    if flt.kind == "time":
        excluded = [chart_ids[c.key] for c in board.charts if not datasets[c.dataset].time_column]
        filter_type, targets = "filter_time", [{}]
        control: dict[str, Any] = {}
    else:
        assert flt.dataset and flt.column
        excluded = [chart_ids[c.key] for c in board.charts if flt.column not in columns[c.dataset]]
        filter_type = "filter_select"
        targets = [{"column": {"name": flt.column}, "datasetUuid": datasets[flt.dataset].uuid}]
        control = {"multiSelect": flt.multi, "enableEmptyFilter": False, "defaultToFirstItem": False,
                   "inverseSelection": False, "searchAllOptions": False}
    return {
        "id": fid,
        "name": flt.title,
        "filterType": filter_type,
        "targets": targets,
        "controlValues": control,
        "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
        "cascadeParentIds": [f"NATIVE_FILTER-{flt.parent}"] if flt.parent else [],
        "scope": {"rootPath": ["ROOT_ID"], "excluded": excluded},
        "type": "NATIVE_FILTER",
        "description": "",
    }


def dashboard_doc(board: Dashboard, datasets: dict[str, Dataset], columns: dict[str, set[str]]) -> dict[str, Any]:
    # Chart ids are placeholders (1..n); the importer maps them to real ids through the position's uuids.
    chart_ids = {chart.key: n for n, chart in enumerate(board.charts, start=1)}
    return {
        "dashboard_title": board.title,
        "description": None,
        "css": "",
        "slug": board.slug,
        "certified_by": None,
        "certification_details": None,
        "published": True,
        "uuid": board.uuid,
        "position": _position(board, chart_ids),
        "metadata": {
            "color_scheme": "supersetColors",
            "refresh_frequency": 0,
            "expanded_slices": {},
            "label_colors": {},
            "shared_label_colors": [],
            "timed_refresh_immune_slices": [],
            "cross_filters_enabled": True,
            "default_filters": "{}",
            "chart_configuration": {},
            "native_filter_configuration": [
                _native_filter(board, flt, datasets, columns, chart_ids) for flt in board.filters
            ],
        },
        "version": VERSION,
    }


def chart_file(board: Dashboard, chart: Chart) -> str:
    return f"charts/{board.slug}__{chart.key}.yaml"


def generate_assets(warehouse: PgParams, out_dir: Path = ASSETS_DIR) -> dict[str, int]:
    """Write every asset file (the folder is replaced); returns counts per kind."""
    datasets = {d.name: d for d in all_datasets()}
    columns: dict[str, list[tuple[str, str]]] = {}
    with connect(warehouse) as conn:
        ensure_sources(conn)
        for dataset in datasets.values():
            columns[dataset.name] = dataset_columns(conn, dataset)
            check_rls_target(conn, dataset)
    column_names = {name: {c for c, _ in cols} for name, cols in columns.items()}

    for sub in ("databases", "datasets", "charts", "dashboards"):
        shutil.rmtree(out_dir / sub, ignore_errors=True)
    _dump(out_dir / "metadata.yaml", {"version": VERSION, "type": "assets",
                                     "timestamp": "2026-01-01T00:00:00+00:00"})
    _dump(out_dir / "databases" / f"{DATABASE_NAME}.yaml", database_doc())
    for dataset in datasets.values():
        _dump(out_dir / "datasets" / DATABASE_NAME / f"{dataset.name}.yaml",
              dataset_doc(dataset, columns[dataset.name]))
    boards = all_dashboards()
    n_charts = 0
    for board in boards:
        for chart in board.charts:
            if chart.dataset not in datasets:
                raise ValueError(f"chart {board.slug}/{chart.key}: unknown dataset {chart.dataset}")
            used = {*chart.groupby, *chart.columns}
            missing = used - column_names[chart.dataset]
            if missing:
                raise ValueError(f"chart {board.slug}/{chart.key}: no column(s) {sorted(missing)} "
                                 f"in dataset {chart.dataset}")
            _dump(out_dir / chart_file(board, chart), chart_doc(board, chart, datasets[chart.dataset]))
            n_charts += 1
        _dump(out_dir / "dashboards" / f"{board.slug}.yaml", dashboard_doc(board, datasets, column_names))
    return {"databases": 1, "datasets": len(datasets), "charts": n_charts, "dashboards": len(boards)}
