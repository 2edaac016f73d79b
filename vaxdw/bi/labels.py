"""Chinese labels of mart columns, read from the dbt YAML (``meta.label_zh``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from vaxdw.settings import PROJECT_ROOT

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
    """``{column: label_zh}`` of a dbt model; KeyError when the model has no YAML."""
    return dict(_all_labels()[model])
