"""Export the live Superset assets back into ``superset_assets/`` so an analyst's edits show as a git diff.

Only vaxdw's own assets (the UUIDs the specs generate) are written; ids and volatile keys Superset adds
on export are dropped, and the database URI goes back to the placeholder. Review with ``git diff``;
to keep an edit, carry it into the spec (``vaxdw/bi/dashboards/``), since ``vaxdw superset generate``
rewrites the folder from the specs.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import yaml

from vaxdw.bi.client import SupersetClient
from vaxdw.bi.generate import ASSETS_DIR, URI_PLACEHOLDER, _dump


def export_assets(client: SupersetClient, out_dir: Path = ASSETS_DIR) -> list[str]:
    data = client.export_assets()
    wanted = {}
    for path in out_dir.rglob("*.yaml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and "uuid" in doc:
            wanted[doc["uuid"]] = path
    written = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if not name.endswith(".yaml"):
                continue
            doc = yaml.safe_load(zf.read(name))
            if not isinstance(doc, dict) or doc.get("uuid") not in wanted:
                continue
            if "sqlalchemy_uri" in doc:
                doc["sqlalchemy_uri"] = URI_PLACEHOLDER
            if "query_context" in doc and doc["query_context"]:
                doc["query_context"] = doc["query_context"]
            path = wanted[doc["uuid"]]
            _dump(path, doc)
            written.append(str(path.relative_to(out_dir)))
    return sorted(written)


def export_zip_names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.namelist()
