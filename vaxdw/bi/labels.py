"""Chinese labels of mart columns, read from the dbt YAML (``meta.label_zh``)."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

import yaml

from vaxdw.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

MODELS_DIR = PROJECT_ROOT / "dbt_project" / "models"


@cache
def _all_labels(models_dir: Path = MODELS_DIR) -> dict[str, dict[str, str]]:
    labels: dict[str, dict[str, str]] = {}
    for path in sorted(models_dir.rglob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in doc.get("models", []) or []:
            cols = labels.setdefault(model["name"], {})
            for col in model.get("columns", []) or []:
                label = (col.get("meta") or {}).get("label_zh")
                if label:
                    cols[col["name"]] = label
    return labels


def column_labels(model: str) -> dict[str, str]:
    """``{column: label_zh}`` of a dbt model; empty (with a warning) when the model has no YAML yet: the
    columns then show their names until the model's YAML gains ``label_zh`` and the assets are regenerated."""
    labels = _all_labels().get(model)
    if labels is None:
        log.warning("dbt model %s has no YAML with label_zh: its columns keep their names", model)
        return {}
    return dict(labels)
