"""Validate ``superset_assets/`` and build the import zip with the database URI filled in.

Superset's importer is forgiving in the wrong places (a dataset without columns imports and then
fails as "Columns missing in datasource"; a dashboard without ROOT/GRID spins forever; a chart whose
dataset is not in the bundle is skipped silently), so :func:`validate_assets` refuses those first.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import yaml

from vaxdw.bi.generate import ASSETS_DIR, URI_PLACEHOLDER

BUNDLE_ROOT = "vaxdw_assets"


class AssetError(ValueError):
    """The asset folder would not import cleanly."""


def load_assets(folder: Path = ASSETS_DIR) -> dict[str, dict[str, Any]]:
    """``{relative path: parsed YAML}`` of every asset file."""
    out = {}
    for path in sorted(folder.rglob("*.yaml")):
        out[path.relative_to(folder).as_posix()] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return out


def validate_assets(assets: dict[str, dict[str, Any]]) -> list[str]:
    """Problems that would make the import drop or break something (empty list = fine)."""
    problems: list[str] = []
    if "metadata.yaml" not in assets:
        problems.append("metadata.yaml missing")
    databases = {doc["uuid"]: path for path, doc in assets.items() if path.startswith("databases/")}
    datasets = {doc["uuid"]: path for path, doc in assets.items() if path.startswith("datasets/")}
    charts = {doc["uuid"]: path for path, doc in assets.items() if path.startswith("charts/")}
    for path, doc in assets.items():
        if path.startswith("databases/") and not isinstance(doc.get("extra"), dict):
            problems.append(f"{path}: database extra must be a mapping (Superset answers 500 otherwise)")
        if path.startswith("datasets/"):
            if not doc.get("columns"):
                problems.append(f"{path}: dataset has no columns")
            if doc.get("database_uuid") not in databases:
                problems.append(f"{path}: database {doc.get('database_uuid')} not in the bundle")
            names = {c["column_name"] for c in doc.get("columns") or []}
            if doc.get("main_dttm_col") and doc["main_dttm_col"] not in names:
                problems.append(f"{path}: main_dttm_col {doc['main_dttm_col']} is not a column")
        if path.startswith("charts/"):
            if doc.get("dataset_uuid") not in datasets:
                problems.append(f"{path}: dataset {doc.get('dataset_uuid')} not in the bundle")
            if not doc.get("query_context"):
                problems.append(f"{path}: chart has no query_context (the chart data API needs it)")
        if path.startswith("dashboards/"):
            pos = doc.get("position") or {}
            root = pos.get("ROOT_ID") or {}
            if root.get("type") != "ROOT" or "GRID_ID" not in (root.get("children") or []) or "GRID_ID" not in pos:
                problems.append(f"{path}: layout has no ROOT_ID → GRID_ID")
            for node_id, node in pos.items():
                if isinstance(node, dict) and node.get("type") == "CHART":
                    if node.get("meta", {}).get("uuid") not in charts:
                        problems.append(f"{path}: {node_id} points at chart {node.get('meta', {}).get('uuid')} "
                                        "not in the bundle")
                    if not node.get("parents") or node["parents"][:2] != ["ROOT_ID", "GRID_ID"]:
                        problems.append(f"{path}: {node_id} is not placed under ROOT_ID → GRID_ID")
            for flt in (doc.get("metadata") or {}).get("native_filter_configuration") or []:
                for target in flt.get("targets") or []:
                    if "datasetUuid" in target and target["datasetUuid"] not in datasets:
                        problems.append(f"{path}: filter {flt.get('name')} targets a dataset not in the bundle")
                    elif "datasetUuid" in target:
                        names = {c["column_name"] for c in assets[datasets[target["datasetUuid"]]].get("columns") or []}
                        column = (target.get("column") or {}).get("name")
                        if column not in names:
                            problems.append(f"{path}: filter {flt.get('name')} on column {column} that its dataset "
                                            "does not have")
    return problems


def build_bundle(sqlalchemy_uri: str, folder: Path = ASSETS_DIR) -> bytes:
    """The import zip (one top-level folder) with the warehouse URI filled in; raises AssetError."""
    assets = load_assets(folder)
    problems = validate_assets(assets)
    if problems:
        raise AssetError("superset_assets/ would not import cleanly:\n  " + "\n  ".join(problems))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*.yaml")):
            rel = path.relative_to(folder).as_posix()
            text = path.read_text(encoding="utf-8")
            if rel.startswith("databases/"):
                doc = yaml.safe_load(text)
                if doc["sqlalchemy_uri"] != URI_PLACEHOLDER:
                    raise AssetError(f"{rel}: sqlalchemy_uri must be the placeholder {URI_PLACEHOLDER} "
                                     "(credentials are filled in at import time, never stored)")
                doc["sqlalchemy_uri"] = sqlalchemy_uri
                text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
            zf.writestr(f"{BUNDLE_ROOT}/{rel}", text)
    return buf.getvalue()


def expected_counts(folder: Path = ASSETS_DIR) -> dict[str, int]:
    assets = load_assets(folder)
    return {kind: sum(1 for p in assets if p.startswith(f"{kind}/"))
            for kind in ("databases", "datasets", "charts", "dashboards")}
